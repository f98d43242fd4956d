/*
 * cli/cli.h — the subcommands of the voxdns binary and the exit statuses they share.
 * Exit statuses follow the monitoring-plugin convention of CHECKS.md where it applies.
 */
#ifndef VX_CLI_H
#define VX_CLI_H

#define VX_EXIT_OK 0
#define VX_EXIT_FAILED 3 /* the command could not do its job (no answer, unreadable file) */
#define VX_EXIT_USAGE 64 /* bad command line or bad input given on it (EX_USAGE) */

int vx__cmd_query(int argc, char **argv);
int vx__cmd_audit(int argc, char **argv);
int vx__cmd_monitor(int argc, char **argv);
int vx__cmd_baseline(int argc, char **argv);
int vx__cmd_resolve(int argc, char **argv);
int vx__cmd_export_cache(int argc, char **argv);
int vx__cmd_zone(int argc, char **argv); /* argv[0] is "zone", argv[1] the subcommand */

/* "voxdns query: message" on stderr, one line. */
void vx__cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
