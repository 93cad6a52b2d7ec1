CMakeFiles/drgate.dir/consumer/main.c.o: /work/main/consumer/main.c \
 /usr/include/stdc-predef.h /work/main/consumer/cli.h
