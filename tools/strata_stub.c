#include "tools/strata_int.h"
static const tl_flag nf[] = {{"data-dir", "DIR", "x"}};
const tl_cmd tl_backup_cmd = {.name="backup", .synopsis="", .summary="", .about="", .flags=nf, .nflags=1, .exits=""};
const tl_cmd tl_restore_cmd = {.name="restore", .synopsis="", .summary="", .about="", .flags=nf, .nflags=1, .exits=""};
const tl_cmd tl_export_cmd = {.name="export", .synopsis="", .summary="", .about="", .flags=nf, .nflags=1, .exits=""};
const tl_cmd tl_import_cmd = {.name="import", .synopsis="", .summary="", .about="", .flags=nf, .nflags=1, .exits=""};
int tl_cmd_backup(int argc, char **argv){(void)argc;(void)argv;return 1;}
int tl_cmd_restore(int argc, char **argv){(void)argc;(void)argv;return 1;}
int tl_cmd_export(int argc, char **argv){(void)argc;(void)argv;return 1;}
int tl_cmd_import(int argc, char **argv){(void)argc;(void)argv;return 1;}
