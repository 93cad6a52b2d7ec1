#!/usr/bin/env python3
"""Cross-check drgate's SigV4 signer against botocore's SigV4Auth.

Generates seeded random requests (methods, paths with reserved and UTF-8
characters and dot segments, repeated and unsorted query keys, empty
values, folded white space and mixed-case header names, session tokens,
JSON and form bodies, several services and regions), signs each with
botocore at a frozen time, feeds the same requests as JSON lines to the
drgate program given as argv[1] (tests/conformance/sigv4_sign.c), and
compares the Authorization headers. Exits 1 on the first mismatch, after
printing the case and both canonical requests.

Usage: sigv4_botocore.py SIGV4_SIGN [--count N] [--seed S] [--dump FILE]

Generated inputs stay inside what both signers define identically:
- query strings are percent-encoded the way botocore's serializers do
  (botocore signs the wire query as is, drgate decodes and re-encodes;
  they agree on canonically encoded input);
- no Date, X-Amz-Date, Authorization, X-Amz-Security-Token or
  X-Amz-Content-SHA256 request headers (botocore replaces or reuses them;
  drgate rejects them as signer-owned);
- header values are ASCII (botocore's str.split() also treats some
  Unicode and \\x1c-\\x1f as white space).
"""

import argparse
import datetime
import json
import random
import subprocess
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

SERVICES = {
    'sqs': 'json', 'ecs': 'json', 'ssm': 'json',
    'sns': 'query', 'rds': 'query', 'elasticache': 'query',
    'sts': 'query', 'cloudformation': 'query',
    'route53': 'rest',
}
REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1',
           'ap-southeast-2', 'sa-east-1', 'cn-north-1', 'us-gov-west-1']
METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'HEAD']
PATH_CHARS = ('abcXYZ019-._~' + "!$&'()*+,;=:@" + ' ')
UTF8_WORDS = ['caf\u00e9', '\u00fcber', '\u65e5\u672c', '\u20ac',
              '\u1234', '\U0001f600', 'na\u00efve']
HEADER_NAMES = ['X-Amz-Target', 'Content-Type', 'X-Custom-Thing',
                'x-custom-thing', 'X-CUSTOM-THING', 'Accept', 'X-Amz-Meta-A',
                'x-amz-meta-b', 'Content-Encoding', 'If-Match', 'X-Trace']
EXCLUDED = ['User-Agent', 'Expect', 'X-Amzn-Trace-Id', 'Connection',
            'Keep-Alive', 'TE', 'Transfer-Encoding', 'Upgrade',
            'Proxy-Authorization', 'Trailer']
B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'


def rand_word(rng, chars, lo=1, hi=8):
    return ''.join(rng.choice(chars) for _ in range(rng.randint(lo, hi)))


def rand_segment(rng):
    kind = rng.random()
    if kind < 0.12:
        return rng.choice(['.', '..'])
    if kind < 0.2:
        return ''
    if kind < 0.35:
        return percent_encode(rng.choice(UTF8_WORDS), safe='')
    if kind < 0.42:
        return rng.choice(UTF8_WORDS)  # raw UTF-8 on the wire
    if kind < 0.5:
        return rng.choice(['%2F', '%20', '%2f', '%25', '%3A', 'a%2Bb'])
    return rand_word(rng, PATH_CHARS)


def rand_path(rng, protocol):
    if protocol == 'rest':
        base = ['2013-04-01', rng.choice(['hostedzone', 'change',
                                          'healthcheck'])]
        base.append('Z' + rand_word(rng, 'ABCDEFGHIJ0123456789', 6, 12))
        segs = base + [rand_segment(rng) for _ in range(rng.randint(0, 3))]
    else:
        if rng.random() < 0.3:
            return rng.choice(['', '/'])
        segs = [rand_segment(rng) for _ in range(rng.randint(1, 5))]
    path = '/' + '/'.join(segs)
    if rng.random() < 0.2:
        path += '/'
    return path


def rand_query(rng):
    if rng.random() < 0.3:
        return ''
    keys = [rand_word(rng, 'abcABC_-.~019 /+=&') for _ in range(3)]
    keys += [rng.choice(UTF8_WORDS), 'Action', 'action', 'Version']
    parts = []
    for _ in range(rng.randint(1, 7)):
        k = percent_encode(rng.choice(keys))
        r = rng.random()
        if r < 0.15:
            parts.append(k)                      # key without '='
        elif r < 0.3:
            parts.append(k + '=')                # empty value
        else:
            v = rng.choice([rand_word(rng, 'xyzXYZ019 +/=&?%-_.~'),
                            rng.choice(UTF8_WORDS), '1', '1'])
            parts.append(k + '=' + percent_encode(v))
    return '&'.join(parts)


def rand_value(rng):
    words = [rand_word(rng, 'abcdefXYZ0123"/;=,.-') for _ in
             range(rng.randint(0, 4))]
    seps = ['  ', ' ', '\t', '   ', '\n  ', '\n\t', ' \t ']
    out = rng.choice(['', ' ', '  ', '\t'])
    for i, w in enumerate(words):
        if i:
            out += rng.choice(seps)
        out += w
    return out + rng.choice(['', ' ', '  ', '\t'])


def rand_body(rng, protocol, method):
    if method in ('GET', 'HEAD', 'DELETE') and rng.random() < 0.7:
        return ''
    if protocol == 'json':
        doc = {'QueueUrl': 'https://sqs/q' + rand_word(rng, 'abc019'),
               'Names': [rng.choice(UTF8_WORDS) for _ in range(2)],
               'N': rng.randint(0, 1 << 40)}
        return json.dumps(doc, ensure_ascii=rng.random() < 0.5)
    if protocol == 'query':
        params = [('Action', rand_word(rng, 'ABCdef')), ('Version',
                  '2010-05-15'), ('Name', rng.choice(UTF8_WORDS))]
        return '&'.join(percent_encode(k) + '=' + percent_encode(v)
                        for k, v in params)
    return '<?xml version="1.0"?><Change>' + rand_word(rng, 'abc') + \
        '</Change>'


def rand_headers(rng, protocol, host):
    hs = []
    if protocol == 'json':
        hs.append(('X-Amz-Target', 'AmazonSQS.' + rand_word(rng, 'abcXYZ')))
        hs.append(('Content-Type', 'application/x-amz-json-1.0'))
    elif protocol == 'query':
        hs.append(('Content-Type',
                   'application/x-www-form-urlencoded; charset=utf-8'))
    for _ in range(rng.randint(0, 6)):
        hs.append((rng.choice(HEADER_NAMES), rand_value(rng)))
    for _ in range(rng.randint(0, 2)):
        hs.append((rng.choice(EXCLUDED), rand_value(rng)))
    if rng.random() < 0.6:
        hs.append((rng.choice(['Host', 'host', 'HOST']), host))
    rng.shuffle(hs)
    return hs


def gen_case(rng, i):
    service = rng.choice(sorted(SERVICES))
    protocol = SERVICES[service]
    region = rng.choice(REGIONS)
    method = rng.choice(METHODS)
    host = f'{service}.{region}.amazonaws.com'
    if rng.random() < 0.1:
        host += ':8443'
    token = None
    if rng.random() < 0.4:
        token = rand_word(rng, B64, 40, 300) + rng.choice(['', '=', '=='])
    return {
        'id': i,
        'method': method,
        'path': rand_path(rng, protocol),
        'query': rand_query(rng),
        'host': host,
        'headers': rand_headers(rng, protocol, host),
        'body': rand_body(rng, protocol, method),
        'service': service,
        'region': region,
        # 2000-01-01 .. 2035-12-31, whole seconds
        'time_ms': rng.randint(946684800, 2082758399) * 1000,
        'access_key_id': 'AKIA' + rand_word(rng, B64[:36], 16, 16),
        'secret_access_key': rand_word(rng, B64, 40, 40),
        'session_token': token,
        'normalize': True,
        'encode': True,
    }


def botocore_sign(case):
    """Returns (authorization, canonical request, token header or None)."""
    captured = {}

    class Capturing(SigV4Auth):
        def canonical_request(self, request):
            c = super().canonical_request(request)
            captured['creq'] = c
            return c

    creds = Credentials(case['access_key_id'], case['secret_access_key'],
                        case['session_token'])
    url = 'https://' + case['host'] + case['path']
    if case['query']:
        url += '?' + case['query']
    req = AWSRequest(method=case['method'], url=url,
                     data=case['body'].encode('utf-8'))
    for name, value in case['headers']:
        req.headers[name] = value   # HTTPHeaders appends repeated names
    when = (datetime.datetime(1970, 1, 1) +
            datetime.timedelta(milliseconds=case['time_ms']))
    with mock.patch('botocore.auth.get_current_datetime', return_value=when):
        Capturing(creds, case['service'], case['region']).add_auth(req)
    return (req.headers['Authorization'], captured['creq'],
            req.headers.get('X-Amz-Security-Token'))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('signer')
    ap.add_argument('--count', type=int, default=1500)
    ap.add_argument('--seed', type=int, default=20150830)
    ap.add_argument('--dump', help='also write the JSON lines here')
    args = ap.parse_args()

    rng = random.Random(args.seed)
    cases = [gen_case(rng, i) for i in range(args.count)]
    lines = ''.join(json.dumps(c, ensure_ascii=False) + '\n' for c in cases)
    if args.dump:
        with open(args.dump, 'w', encoding='utf-8') as f:
            f.write(lines)
    proc = subprocess.run([args.signer], input=lines.encode('utf-8'),
                          stdout=subprocess.PIPE, check=False)
    if proc.returncode != 0:
        print(f'signer exited {proc.returncode}')
        return 1
    outs = proc.stdout.decode('utf-8').splitlines()
    if len(outs) != len(cases):
        print(f'signer printed {len(outs)} lines for {len(cases)} cases')
        return 1

    passed = failed = 0
    for case, out in zip(cases, outs):
        got = json.loads(out)
        want_auth, want_creq, want_token = botocore_sign(case)
        ok = (got.get('authorization') == want_auth and
              got.get('token_header') == want_token)
        if ok:
            passed += 1
            continue
        failed += 1
        if failed == 1:
            print('first mismatch, case', case['id'])
            print(json.dumps(case, ensure_ascii=False, indent=1))
            print('botocore:', want_auth)
            print('drgate:  ', got.get('authorization') or got.get('error'))
            print('--- botocore canonical request\n' + want_creq)
            print('--- drgate canonical request\n' + got.get('creq', ''))
    print(f'{passed} passed, {failed} failed '
          f'(botocore {botocore.__version__}, seed {args.seed})')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
