CMakeFiles/drgate_core.dir/consumer/cli.c.o: /work/main/consumer/cli.c \
 /usr/include/stdc-predef.h /work/main/consumer/cli.h
