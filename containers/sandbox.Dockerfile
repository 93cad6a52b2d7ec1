# The local stand-ins for compose.yaml: moto in server mode, the RDS /
# ElastiCache simulator (infra/local/sim) and the seeding job, in one small
# Python image. The repository is mounted read-only at /repo at run time.
FROM python:3.11-slim
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends openssl curl \
 && rm -rf /var/lib/apt/lists/* \
 && pip install --no-cache-dir "moto[server]==5.2.1" "boto3==1.43.11" "botocore==1.43.11"
RUN groupadd --system --gid 10002 sandbox \
 && useradd --system --uid 10002 --gid 10002 --create-home sandbox \
 && install -d -o 10002 -g 10002 -m 0755 /run/drgate /home/sandbox/approvers
USER 10002:10002
WORKDIR /home/sandbox
