/*
 * parse_only.c - the floor for replay: read a JSON-lines file and parse
 * every line with cJSON, nothing else. bench_replay.py runs it beside
 * drgate replay on the same file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

int
main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: parse_only FILE\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 300 * 1024;
    char *line = malloc(cap);
    unsigned long parsed = 0, bad = 0;
    while (line && fgets(line, (int)cap, f)) {
        cJSON *v = cJSON_Parse(line);
        if (v)
            parsed++;
        else
            bad++;
        cJSON_Delete(v);
    }
    fclose(f);
    free(line);
    printf("{\"parsed\":%lu,\"bad\":%lu}\n", parsed, bad);
    return 0;
}
