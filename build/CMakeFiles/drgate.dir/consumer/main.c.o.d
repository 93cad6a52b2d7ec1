CMakeFiles/drgate.dir/consumer/main.c.o: /work/wt/config/consumer/main.c \
 /usr/include/stdc-predef.h /work/wt/config/consumer/cli.h
