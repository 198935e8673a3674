/*
 * tools/strata.c: the `strata` operator command. This file only dispatches
 * to a subcommand (tools/strata_*.c, see tools/strata_int.h) and prints the
 * overview help; each subcommand parses its own flags, prints its own
 * --help and returns its exit status: 0 ok, 1 problems found or the
 * operation failed, 2 bad command line.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "tools/strata_int.h"

typedef struct sub {
    const tl_cmd *cmd;
    int (*run)(int argc, char **argv);
} sub;

static const sub subs[] = {
    {&tl_inspect_cmd, tl_cmd_inspect}, {&tl_verify_cmd, tl_cmd_verify},
    {&tl_backup_cmd, tl_cmd_backup},   {&tl_restore_cmd, tl_cmd_restore},
    {&tl_export_cmd, tl_cmd_export},   {&tl_import_cmd, tl_cmd_import},
    {&tl_compact_cmd, tl_cmd_compact},
};
#define NSUBS (sizeof subs / sizeof subs[0])

static void overview(FILE *out)
{
    fprintf(out, "Usage: strata COMMAND [flags]\n\n"
                 "strata is the operator tool of the Strata time-series store: it inspects,\n"
                 "verifies, compacts, backs up, restores, exports and imports data\n"
                 "directories.\n\n"
                 "Commands:\n");
    for (size_t i = 0; i < NSUBS; i++)
        fprintf(out, "  %-8s %s\n", subs[i].cmd->name, subs[i].cmd->summary);
    fprintf(out, "\n'strata COMMAND --help' describes a command, its flags and exit codes.\n"
                 "Exit status: 0 ok, 1 problems found or the operation failed, 2 bad command "
                 "line.\nSee docs/operations.md.\n");
}

int main(int argc, char **argv)
{
    /* A closed pipe (strata export | head) must end the run with an error, not a signal. */
    signal(SIGPIPE, SIG_IGN);
    if (argc < 2) {
        overview(stderr);
        return TL_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2) {
            for (size_t i = 0; i < NSUBS; i++)
                if (strcmp(argv[2], subs[i].cmd->name) == 0) {
                    tl_usage(stdout, subs[i].cmd);
                    return TL_EXIT_OK;
                }
        }
        overview(stdout);
        return TL_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("strata (Strata operator tool): engine format %u, index format %u, chunk format "
               "%u, WAL format 1\n",
               TL_ENGINE_FORMAT, TL_INDEX_FORMAT, STG_CHUNK_VERSION);
        return TL_EXIT_OK;
    }
    for (size_t i = 0; i < NSUBS; i++)
        if (strcmp(name, subs[i].cmd->name) == 0) return subs[i].run(argc - 2, argv + 2);
    fprintf(stderr, "strata: unknown command \"%s\" (see strata --help)\n", name);
    return TL_EXIT_USAGE;
}
