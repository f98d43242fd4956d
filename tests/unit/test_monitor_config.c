/* tests/unit/test_monitor_config.c — the monitor's YAML configuration (monitor/config.c): every
 * key, the defaults, one exact "FILE:LINE:COLUMN: message" per kind of error, and durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "monitor/config.h"
#include "voxdns/status.h"
#include "wire/addr.h"

static int parse(const char *text, vx__monitor_config **cfg, char *err, size_t cap)
{
    return vx__monitor_config_parse("t.yml", text, strlen(text), cfg, err, cap);
}

static const char full_config[] =
    "# every key\n"
    "interval: 90s\n"
    "hints: t-root.hints\n"
    "store: postgresql://voxdns@db/voxdns\n"
    "listen: \"[::1]:9999\"\n"
    "token: s3cret\n"
    "log_level: DEBUG\n"
    "serial_lag: 1h30m\n"
    "asn_db: /var/lib/voxdns/pfx2as\n"
    "server_rate: 2000\n"
    "audit_interval: 6h\n"
    "watch_threads: 3\n"
    "rtt_retention: 30d\n"
    "endpoints: false\n"
    "ca_file: /etc/voxdns/sbc-ca.pem\n"
    "domains:\n"
    "  - name: Example.COM\n"
    "    profile: Teams\n"
    "    alt_domains: [example.net, example.org.]\n"
    "    records:\n"
    "      - {name: sbc1.example.com, type: A}\n"
    "      - {name: _sip._tls.example.com, type: srv}\n"
    "  - other.example\n"
    "resolvers:\n"
    "  - 192.0.2.99\n"
    "  - {name: office-resolver, address: \"[2001:db8::53]:5353\"}\n"
    "  - 198.51.100.7:5300\n"
    "alerts:\n"
    "  - {type: log, min_severity: info}\n"
    "  - {type: webhook, url: \"https://hooks.example/T0\", min_severity: error,\n"
    "     retries: 3, timeout: 2500ms}\n"
    "  - type: Command\n"
    "    name: pager\n"
    "    command: /usr/local/bin/page-oncall\n"
    "    min_severity: critical\n"
    "    timeout: 5s\n"
    "flap:\n"
    "  window: 2h\n"
    "  max_changes: 6\n"
    "http:\n"
    "  max_connections: 10000\n"
    "  max_per_ip: 50\n"
    "  request_timeout: 30s\n"
    "  idle_timeout: 5s\n"
    "  workers: 4\n"
    "  queue: 1000\n";

static void check_full_domains(const vx__monitor_config *c)
{
    assert_int_equal(c->domain_count, 2);
    const vx__monitor_domain *d = &c->domains[0];
    assert_string_equal(d->name, "example.com.");
    assert_string_equal(d->profile, "teams");
    assert_int_equal(d->alt_count, 2);
    assert_string_equal(d->alt_domains[0], "example.net.");
    assert_string_equal(d->alt_domains[1], "example.org.");
    assert_int_equal(d->record_count, 2);
    assert_string_equal(d->records[0].name, "sbc1.example.com.");
    assert_int_equal(d->records[0].type, 1);
    assert_string_equal(d->records[1].name, "_sip._tls.example.com.");
    assert_int_equal(d->records[1].type, 33);
    assert_string_equal(c->domains[1].name, "other.example.");
    assert_string_equal(c->domains[1].profile, "generic");
    assert_int_equal(c->domains[1].record_count, 0);
}

static void check_full_resolvers(const vx__monitor_config *c)
{
    char text[VX__ADDR_TEXT_MAX];
    assert_int_equal(c->resolver_count, 3);
    assert_string_equal(c->resolvers[0].name, "192.0.2.99");
    vx__addr_format_port((const struct sockaddr *)&c->resolvers[0].addr, text, sizeof text);
    assert_string_equal(text, "192.0.2.99:53");
    assert_string_equal(c->resolvers[1].name, "office-resolver");
    vx__addr_format_port((const struct sockaddr *)&c->resolvers[1].addr, text, sizeof text);
    assert_string_equal(text, "[2001:db8::53]:5353");
    assert_string_equal(c->resolvers[2].name, "198.51.100.7:5300");
}

static void check_full_sinks(const vx__monitor_config *c)
{
    assert_int_equal(c->sink_count, 3);
    assert_int_equal(c->sinks[0].type, VX__SINK_LOG);
    assert_string_equal(c->sinks[0].name, "log");
    assert_int_equal(c->sinks[0].min_severity, VX__SEV_INFO);
    assert_int_equal(c->sinks[1].type, VX__SINK_WEBHOOK);
    assert_string_equal(c->sinks[1].name, "webhook-1");
    assert_string_equal(c->sinks[1].url, "https://hooks.example/T0");
    assert_int_equal(c->sinks[1].min_severity, VX__SEV_ERROR);
    assert_int_equal(c->sinks[1].retries, 3);
    assert_int_equal(c->sinks[1].timeout_ms, 2500);
    assert_int_equal(c->sinks[2].type, VX__SINK_COMMAND);
    assert_string_equal(c->sinks[2].name, "pager");
    assert_string_equal(c->sinks[2].command, "/usr/local/bin/page-oncall");
    assert_int_equal(c->sinks[2].min_severity, VX__SEV_CRITICAL);
    assert_int_equal(c->sinks[2].timeout_ms, 5000);
}

static void full_config_sets_every_key(void **state)
{
    (void)state;
    vx__monitor_config *c = NULL;
    char err[256] = "";
    FILE *hints = fopen("t-root.hints", "w"); /* it must exist; what is in it is not judged here */
    assert_non_null(hints);
    fclose(hints);
    assert_int_equal(parse(full_config, &c, err, sizeof err), VX_OK);
    unlink("t-root.hints");
    assert_string_equal(err, "");
    assert_string_equal(c->path, "t.yml");
    assert_int_equal(c->interval_ms, 90000);
    assert_string_equal(c->hints, "t-root.hints");
    assert_string_equal(c->store, "postgresql://voxdns@db/voxdns");
    assert_string_equal(c->listen, "[::1]:9999");
    assert_string_equal(c->token, "s3cret");
    assert_string_equal(c->log_level, "debug");
    assert_int_equal(c->serial_lag_ms, 5400000);
    assert_string_equal(c->asn_db, "/var/lib/voxdns/pfx2as");
    assert_int_equal(c->server_rate, 2000);
    assert_int_equal(c->audit_interval_ms, 6ull * 3600 * 1000);
    assert_int_equal(c->watch_threads, 3);
    assert_false(c->endpoints);
    assert_string_equal(c->ca_file, "/etc/voxdns/sbc-ca.pem");
    assert_int_equal(c->rtt_retention_ms, 30ull * 24 * 3600 * 1000);
    check_full_domains(c);
    check_full_resolvers(c);
    check_full_sinks(c);
    assert_int_equal(c->flap_window_ms, 7200000);
    assert_int_equal(c->flap_max_changes, 6);
    assert_int_equal(c->http.max_connections, 10000);
    assert_int_equal(c->http.max_per_ip, 50);
    assert_int_equal(c->http.request_timeout_ms, 30000);
    assert_int_equal(c->http.idle_timeout_ms, 5000);
    assert_int_equal(c->http.workers, 4);
    assert_int_equal(c->http.queue, 1000);
    vx__monitor_config_free(c);
}

static void minimal_config_takes_defaults(void **state)
{
    (void)state;
    vx__monitor_config *c = NULL;
    char err[256] = "";
    assert_int_equal(parse("domains: [{name: example.com}]\n", &c, err, sizeof err), VX_OK);
    assert_int_equal(c->interval_ms, 300000);
    assert_null(c->hints);
    assert_string_equal(c->store, VX__DEFAULT_STORE);
    assert_string_equal(c->listen, VX__DEFAULT_LISTEN);
    assert_null(c->token);
    assert_string_equal(c->log_level, "info");
    assert_int_equal(c->serial_lag_ms, 0);
    assert_null(c->asn_db);
    assert_int_equal(c->server_rate, VX__DEFAULT_SERVER_RATE);
    assert_int_equal(c->audit_interval_ms, 24ull * 3600 * 1000);
    assert_int_equal(c->watch_threads, 0); /* one per core */
    assert_true(c->endpoints);
    assert_null(c->ca_file);
    assert_int_equal(c->rtt_retention_ms, 7ull * 24 * 3600 * 1000);
    assert_int_equal(c->domain_count, 1);
    assert_string_equal(c->domains[0].name, "example.com.");
    assert_string_equal(c->domains[0].profile, "generic");
    assert_int_equal(c->domains[0].alt_count, 0);
    assert_int_equal(c->resolver_count, 0);
    assert_int_equal(c->sink_count, 1); /* the log, from warning up */
    assert_int_equal(c->sinks[0].type, VX__SINK_LOG);
    assert_string_equal(c->sinks[0].name, "log");
    assert_int_equal(c->sinks[0].min_severity, VX__SEV_WARNING);
    assert_int_equal(c->flap_window_ms, 3600000);
    assert_int_equal(c->flap_max_changes, 4);
    assert_int_equal(c->http.max_connections, 4096);
    assert_int_equal(c->http.max_per_ip, 1024);
    assert_int_equal(c->http.request_timeout_ms, 15000);
    assert_int_equal(c->http.idle_timeout_ms, 10000);
    assert_int_equal(c->http.workers, 2);
    assert_int_equal(c->http.queue, 256);
    vx__monitor_config_free(c);
}

static void sink_defaults_and_empty_values(void **state)
{
    (void)state;
    vx__monitor_config *c = NULL;
    char err[256] = "";
    const char *text = "domains: [example.com]\n"
                       "token:\n" /* empty: the default (none) */
                       "alerts:\n"
                       "  - {type: webhook, url: \"http://127.0.0.1:8080/hook\"}\n"
                       "  - {type: webhook, url: \"http://127.0.0.1:8080/two\"}\n"
                       "  - {type: command, command: \"true\"}\n"
                       "  - {type: log}\n"
                       "  - {type: log, name: audit-log}\n"
                       "  - {type: log}\n"
                       "store: ./voxdns.db\n";
    assert_int_equal(parse(text, &c, err, sizeof err), VX_OK);
    assert_null(c->token);
    assert_string_equal(c->store, "./voxdns.db");
    assert_int_equal(c->sink_count, 6);
    assert_string_equal(c->sinks[0].name, "webhook-1");
    assert_int_equal(c->sinks[0].retries, 5);
    assert_int_equal(c->sinks[0].timeout_ms, 10000);
    assert_int_equal(c->sinks[0].min_severity, VX__SEV_WARNING);
    assert_string_equal(c->sinks[1].name, "webhook-2");
    assert_string_equal(c->sinks[2].name, "command-1");
    assert_int_equal(c->sinks[2].timeout_ms, 10000);
    assert_string_equal(c->sinks[3].name, "log");
    assert_string_equal(c->sinks[4].name, "audit-log");
    assert_string_equal(c->sinks[5].name, "log-3");
    vx__monitor_config_free(c);
}

static void empty_alert_list_means_no_sinks(void **state)
{
    (void)state;
    vx__monitor_config *c = NULL;
    char err[256] = "";
    assert_int_equal(parse("domains: [example.com]\nalerts: []\n", &c, err, sizeof err), VX_OK);
    assert_int_equal(c->sink_count, 0);
    vx__monitor_config_free(c);
}

static void store_forms(void **state)
{
    (void)state;
    static const char *const good[] = {"sqlite:/tmp/x.db", "/var/lib/v.db", "rel/v.db",
                                       "postgresql://u@h/db", "postgres://h"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        char text[128], err[256] = "";
        vx__monitor_config *c = NULL;
        snprintf(text, sizeof text, "domains: [example.com]\nstore: \"%s\"\n", good[i]);
        assert_int_equal(parse(text, &c, err, sizeof err), VX_OK);
        assert_string_equal(c->store, good[i]);
        vx__monitor_config_free(c);
    }
}

/* ---- errors: the exact line ------------------------------------------------------------ */

static void expect_error(const char *text, const char *want)
{
    vx__monitor_config *c = (vx__monitor_config *)&c; /* must be reset to NULL */
    char err[512] = "";
    int rc = parse(text, &c, err, sizeof err);
    if (rc != VX_EINVAL || strcmp(err, want) != 0)
        fail_msg("for:\n%s\nwant: %s\ngot (%d): %s", text, want, rc, err);
    assert_null(c);
}

/* providers: and dual_primary: per domain, as the audit's --provider and --dual-primary. */
static void domain_providers(void **state)
{
    (void)state;
    vx__monitor_config *c = NULL;
    char err[512] = "";
    const char text[] = "domains:\n"
                        "  - name: example.com\n"
                        "    providers:\n"
                        "      anycast: [ns1.dns-a.net, 192.0.2.53]\n"
                        "      backup: [NS9.Dns-B.org.]\n"
                        "    dual_primary: true\n"
                        "  - name: other.example\n"
                        "    dual_primary: False\n"
                        "  - third.example\n";
    assert_int_equal(parse(text, &c, err, sizeof err), VX_OK);
    const vx__monitor_domain *d = &c->domains[0];
    assert_int_equal(d->provider_count, 2);
    assert_string_equal(d->providers[0].name, "anycast");
    assert_int_equal(d->providers[0].ns_count, 2);
    assert_string_equal(d->providers[0].ns[0], "ns1.dns-a.net.");
    assert_string_equal(d->providers[0].ns[1], "192.0.2.53");
    assert_string_equal(d->providers[1].ns[0], "ns9.dns-b.org.");
    assert_int_equal(d->dual_primary, VX__DUAL_YES);
    assert_int_equal(c->domains[1].dual_primary, VX__DUAL_NO);
    assert_int_equal(c->domains[2].dual_primary, VX__DUAL_AUTO);
    assert_int_equal(c->domains[2].provider_count, 0);
    vx__monitor_config_free(c);
    expect_error("domains:\n  - name: example.com\n    providers: [a, b]\n",
                 "t.yml:3:16: 'providers' must be a mapping of provider names to name servers, "
                 "not a list");
    expect_error("domains:\n  - name: example.com\n    providers:\n      p q: [ns1.x.net]\n",
                 "t.yml:4:7: provider 'p q': give NAME=NS1,NS2 (NAME: up to 64 letters, "
                 "digits, '.', '-', '_')");
    expect_error("domains:\n  - name: example.com\n    dual_primary: maybe\n",
                 "t.yml:3:19: 'dual_primary' must be true or false, not 'maybe'");
}

/* zone_watch (global and per domain), zone_refresh, and tsig: per domain (voxdns.yml(5)). */
static void zone_watch_keys(void **state)
{
    (void)state;
    vx__monitor_config *c = NULL;
    char err[512] = "";
    const char text[] = "zone_refresh: 30m\n"
                        "zone_watch: false\n"
                        "domains:\n"
                        "  - name: example.com\n"
                        "    zone_watch: true\n"
                        "    tsig:\n"
                        "      dns-a.net: hmac-sha512:Prov-A:c2VjcmV0LXNlY3JldA==\n"
                        "      dns-b.org: prov-b:c2VjcmV0\n"
                        "  - other.example\n";
    assert_int_equal(parse(text, &c, err, sizeof err), VX_OK);
    assert_false(c->zone_watch);
    assert_int_equal(c->zone_refresh_ms, 30u * 60u * 1000u);
    const vx__monitor_domain *d = &c->domains[0];
    assert_int_equal(d->zone_watch, 1);
    assert_int_equal(d->tsig_count, 2);
    assert_string_equal(d->tsig[0].provider, "dns-a.net");
    assert_string_equal(d->tsig[0].key.algorithm, "hmac-sha512");
    assert_string_equal(d->tsig[0].key.name, "prov-a.");
    assert_string_equal(d->tsig[1].key.algorithm, "hmac-sha256");
    assert_int_equal(c->domains[1].zone_watch, -1);
    assert_int_equal(c->domains[1].tsig_count, 0);
    vx__monitor_config_free(c);
    assert_int_equal(parse("domains: [example.com]\n", &c, err, sizeof err), VX_OK);
    assert_true(c->zone_watch);
    assert_int_equal(c->zone_refresh_ms, 3600u * 1000u);
    vx__monitor_config_free(c);
    expect_error("domains:\n  - name: example.com\n    tsig:\n      p: k:not-base64!\n",
                 "t.yml:4:10: provider 'p': a TSIG key is [ALGORITHM:]NAME:SECRET (base64)");
    expect_error("domains:\n  - name: example.com\n    tsig: [a]\n",
                 "t.yml:3:11: 'tsig' must be a mapping of provider names to TSIG keys, not a "
                 "list");
    expect_error("domains: [example.com]\nzone_watch: sometimes\n",
                 "t.yml:2:13: 'zone_watch' must be true or false");
}

static void unknown_keys_suggest(void **state)
{
    (void)state;
    expect_error("domains: [example.com]\nintervl: 5m\n",
                 "t.yml:2:1: unknown key 'intervl' (did you mean 'interval'?)");
    expect_error("domains: [example.com]\nbogus: 1\n", "t.yml:2:1: unknown key 'bogus'");
    expect_error("domains:\n  - name: example.com\n    profil: lync\n",
                 "t.yml:3:5: unknown key 'profil' (did you mean 'profile'?)");
    expect_error("domains: [example.com]\nalerts:\n  - {type: log, min_sev: error}\n",
                 "t.yml:3:17: unknown key 'min_sev' (did you mean 'min_severity'?)");
    expect_error("domains: [example.com]\nflap: {windows: 1h}\n",
                 "t.yml:2:8: unknown key 'windows' (did you mean 'window'?)");
    expect_error("domains: [example.com]\ninterval: 1m\ninterval: 2m\n",
                 "t.yml:3:1: duplicate key 'interval' (first at line 2)");
}

static void wrong_types(void **state)
{
    (void)state;
    expect_error("domains: example.com\n",
                 "t.yml:1:10: 'domains' must be a list of domains, not a single value");
    expect_error("domains: [example.com]\ninterval: [5m]\n",
                 "t.yml:2:11: 'interval' must be a duration, not a list");
    expect_error("domains: [example.com]\ntoken: {a: b}\n",
                 "t.yml:2:8: 'token' must be a string, not a mapping");
    expect_error("domains: [example.com]\nflap: 5\n",
                 "t.yml:2:7: 'flap' must be a mapping (window, max_changes), not a single value");
    expect_error("- example.com\n", "t.yml:1:1: the configuration must be a mapping of keys "
                                    "(domains, interval, ...), not a list");
    expect_error("domains: [example.com]\nalerts:\n  - {type: webhook, url: http://h/, retries: "
                 "-1}\n",
                 "t.yml:3:46: 'retries' must be a whole number from 0 to 100");
    expect_error("domains: [example.com]\nflap: {max_changes: 0}\n",
                 "t.yml:2:21: 'max_changes' must be a whole number from 1 to 1000000");
    expect_error("domains: [example.com]\nserver_rate: -1\n",
                 "t.yml:2:14: 'server_rate' must be a whole number from 0 to 1000000");
    expect_error("domains: [example.com]\nhttp: {workers: 0}\n",
                 "t.yml:2:17: 'workers' must be a whole number from 1 to 64");
    expect_error("domains: [example.com]\nhttp: {request_timeout: 500ms}\n",
                 "t.yml:2:25: 'request_timeout' must be at least 1s");
    expect_error("domains: [example.com]\nhttp: {max_conns: 5}\n",
                 "t.yml:2:8: unknown key 'max_conns'");
    expect_error("domains: [example.com]\nwatch_threads: 0\n",
                 "t.yml:2:16: 'watch_threads' must be a whole number from 1 to 16");
    expect_error("domains: [example.com]\nendpoints: maybe\n",
                 "t.yml:2:12: 'endpoints' must be true or false");
    expect_error("domains: [example.com]\naudit_interval: daily\n",
                 "t.yml:2:17: bad duration 'daily' for 'audit_interval' (examples: 250ms, 30s, "
                 "5m, 1h30m, 2d)");
}

static void bad_durations(void **state)
{
    (void)state;
    expect_error("domains: [example.com]\ninterval: 5 minutes\n",
                 "t.yml:2:11: bad duration '5 minutes' for 'interval' (examples: 250ms, 30s, "
                 "5m, 1h30m, 2d)");
    expect_error("domains: [example.com]\ninterval: 500ms\n",
                 "t.yml:2:11: 'interval' must be at least 1s");
    expect_error("domains: [example.com]\ninterval: 50d\n",
                 "t.yml:2:11: 'interval' is too long (at most 49d)");
    expect_error("domains: [example.com]\nserial_lag: -5s\n",
                 "t.yml:2:13: bad duration '-5s' for 'serial_lag' (examples: 250ms, 30s, 5m, "
                 "1h30m, 2d)");
    expect_error("domains: [example.com]\nflap:\n  window: 10\n",
                 "t.yml:3:11: bad duration '10' for 'window' (examples: 250ms, 30s, 5m, 1h30m, "
                 "2d)");
    expect_error("domains: [example.com]\nalerts: [{type: command, command: x, timeout: 0s}]\n",
                 "t.yml:2:47: 'timeout' must be at least 1ms");
}

static void bad_addresses(void **state)
{
    (void)state;
    expect_error("domains: [example.com]\nresolvers: [192.0.2.300]\n",
                 "t.yml:2:13: bad resolver address '192.0.2.300'");
    expect_error(
        "domains: [example.com]\nresolvers:\n  - {name: r, address: \"[2001:db8::1]:x\"}\n",
        "t.yml:3:24: bad resolver address '[2001:db8::1]:x'");
    expect_error("domains: [example.com]\nresolvers:\n  - {name: r}\n",
                 "t.yml:3:5: a resolver needs an 'address'");
    expect_error("domains: [example.com]\nresolvers: [192.0.2.1, 192.0.2.1]\n",
                 "t.yml:2:24: duplicate resolver '192.0.2.1'");
    expect_error("domains: [example.com]\nlisten: localhost:9153\n",
                 "t.yml:2:9: bad listen address 'localhost:9153' (ADDRESS:PORT or [IPV6]:PORT)");
    expect_error("domains: [example.com]\nlisten: 127.0.0.1\n",
                 "t.yml:2:9: bad listen address '127.0.0.1' (ADDRESS:PORT or [IPV6]:PORT)");
    expect_error("domains: [example.com]\nlisten: \"::1\"\n",
                 "t.yml:2:9: bad listen address '::1' (ADDRESS:PORT or [IPV6]:PORT)");
}

static void bad_names_profiles_types(void **state)
{
    (void)state;
    expect_error("domains:\n  - name: exa mple.com\n",
                 "t.yml:2:11: bad domain name 'exa mple.com'");
    expect_error("domains: [example..com]\n", "t.yml:1:11: bad domain name 'example..com'");
    /* a value with a newline still gives one line */
    expect_error("domains: [\"a\\nb\\x01.example\"]\n",
                 "t.yml:1:11: bad domain name 'a\\nb\\x01.example'");
    expect_error("domains:\n  - name: example.com\n    alt_domains: [ok.example, \"bad/name\"]\n",
                 "t.yml:3:31: bad domain name 'bad/name'");
    expect_error("domains:\n  - {name: example.com, profile: team}\n",
                 "t.yml:2:34: unknown profile 'team' (did you mean 'teams'?)");
    expect_error("domains:\n  - {name: example.com, profile: cisco}\n",
                 "t.yml:2:34: unknown profile 'cisco' (generic, lync, teams, enum)");
    expect_error("domains:\n  - name: example.com\n    records:\n      - {name: a.example.com, "
                 "type: AAA}\n",
                 "t.yml:4:37: unknown record type 'AAA'");
    expect_error("domains:\n  - name: example.com\n    records:\n      - {name: a.example.com}\n",
                 "t.yml:4:9: a record needs a 'type'");
    expect_error("domains:\n  - {profile: lync}\n", "t.yml:2:5: a domain needs a 'name'");
    expect_error("domains:\n  - example.com\n  - name: EXAMPLE.com.\n",
                 "t.yml:3:11: duplicate domain 'example.com' (first at line 2)");
    expect_error("domains: []\n", "t.yml:1:10: no domains to watch: add one under 'domains'");
    expect_error("interval: 5m\n", "t.yml:1:1: no domains to watch: add one under 'domains'");
    expect_error("domains: [example.com]\nlog_level: verbose\n",
                 "t.yml:2:12: unknown log level 'verbose' (debug, info, notice, warning, error)");
    expect_error("domains: [example.com]\nstore: mysql://db/x\n",
                 "t.yml:2:8: bad store 'mysql://db/x' (sqlite:PATH, a file path, or "
                 "postgresql://...)");
    expect_error("domains: [example.com]\nstore: \"sqlite:\"\n",
                 "t.yml:2:8: bad store 'sqlite:' (sqlite:PATH, a file path, or postgresql://...)");
}

static void bad_sinks(void **state)
{
    (void)state;
    expect_error("domains: [example.com]\nalerts: [{type: email}]\n",
                 "t.yml:2:17: unknown alert type 'email' (log, webhook, command)");
    expect_error("domains: [example.com]\nalerts: [{type: hook}]\n",
                 "t.yml:2:17: unknown alert type 'hook' (log, webhook, command)");
    expect_error("domains: [example.com]\nalerts: [{type: webhok, url: http://h/}]\n",
                 "t.yml:2:17: unknown alert type 'webhok' (did you mean 'webhook'?)");
    expect_error("domains: [example.com]\nalerts: [{min_severity: error}]\n",
                 "t.yml:2:10: an alert needs a 'type' (log, webhook, command)");
    expect_error("domains: [example.com]\nalerts:\n  - type: webhook\n    retries: 2\n",
                 "t.yml:3:5: a webhook alert needs a 'url'");
    expect_error("domains: [example.com]\nalerts: [{type: webhook, url: ftp://h/x}]\n",
                 "t.yml:2:31: 'url' must be an http:// or https:// URL with a host");
    expect_error("domains: [example.com]\nalerts: [{type: webhook, url: \"https://\"}]\n",
                 "t.yml:2:31: 'url' must be an http:// or https:// URL with a host");
    expect_error("domains: [example.com]\nalerts: [{type: command}]\n",
                 "t.yml:2:10: a command alert needs a 'command'");
    expect_error("domains: [example.com]\nalerts: [{url: http://h/, type: log}]\n",
                 "t.yml:2:16: 'url' does not apply to a log alert");
    expect_error("domains: [example.com]\nalerts: [{type: log, min_severity: warn}]\n",
                 "t.yml:2:36: unknown severity 'warn' (did you mean 'warning'?)");
    expect_error("domains: [example.com]\nalerts:\n  - {type: log, name: a}\n"
                 "  - {type: command, command: x, name: a}\n",
                 "t.yml:4:39: duplicate alert name 'a' (first at line 3)");
    expect_error("domains: [example.com]\nalerts:\n  - {type: webhook, url: http://h/, name: "
                 "webhook-2}\n  - {type: webhook, url: http://h/}\n  - {type: webhook, url: "
                 "http://h/}\n",
                 "t.yml:4:5: duplicate alert name 'webhook-2' (first at line 3)");
}

static void yaml_syntax_errors(void **state)
{
    (void)state;
    expect_error("domains: [example.com]\nhints: /nonexistent/root.hints\n",
                 "t.yml:2:8: cannot use root hints '/nonexistent/root.hints': No such file or "
                 "directory");
    expect_error("domains: [example.com]\nhints: /\n",
                 "t.yml:2:8: cannot use root hints '/': not a regular file");
    expect_error("domains: [example.com\n",
                 "t.yml:2:1: YAML syntax error: did not find expected ',' or ']' (while parsing "
                 "a flow sequence)");
    expect_error("domains:\n  - name: a\n   bad: x\n",
                 "t.yml:3:4: YAML syntax error: did not find expected '-' indicator (while "
                 "parsing a block collection)");
    expect_error("domains: [example.com]\ntoken: \"\\xff\"\nx: \"\t\n",
                 "t.yml:4:1: YAML syntax error: found unexpected end of stream (while scanning "
                 "a quoted scalar)");
    expect_error("domains: [example.com]\ntoken: \xff\n",
                 "t.yml:2:8: YAML syntax error: invalid leading UTF-8 octet");
    expect_error("domains: [example.com]\n---\ndomains: [b.example]\n",
                 "t.yml:2:1: only one YAML document is allowed");
    expect_error("", "t.yml:1:1: empty configuration: at least one domain is needed");
    expect_error("# nothing\n", "t.yml:1:1: empty configuration: at least one domain is needed");
}

/* Deep flow nesting is refused before libyaml (quadratic in the depth there), at the bracket;
 * brackets in comments and quoted scalars do not count, balanced ones (an IPv6 URL) neither. */
static void nesting_is_limited(void **state)
{
    (void)state;
    size_t n = 200 * 1000;
    char *deep = malloc(n + 1);
    assert_non_null(deep);
    memset(deep, '[', n);
    deep[n] = '\0';
    expect_error(deep, "t.yml:1:65: flow collections ([...], {...}) nested deeper than 64 levels");
    const char *head = "domains: [a.example.com]\nx:\n  ";
    memcpy(deep, head, strlen(head));
    deep[strlen(head) + 70] = '\0';
    expect_error(deep, "t.yml:3:67: flow collections ([...], {...}) nested deeper than 64 levels");
    free(deep);
    vx__monitor_config *c = NULL;
    char err[256] = "";
    char ok[2048];
    int w = snprintf(ok, sizeof ok,
                     "# [[[[[[[[\ndomains: [a.example.com]\ntoken: \"%s\"\n"
                     "alerts: [{type: webhook, url: 'http://[2001:db8::1]:80/%s'}]\n",
                     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                     "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[");
    assert_true(w > 0 && (size_t)w < sizeof ok);
    assert_int_equal(parse(ok, &c, err, sizeof err), VX_OK);
    vx__monitor_config_free(c);
}

/* 100,000 domains (and a duplicate of the first at the end): all kept, the duplicate found by the
 * hash set. How fast is bench/config's business (release figures: voxdns.yml(5)). */
static void many_domains_are_validated(void **state)
{
    (void)state;
    size_t n = 100000, cap = n * 32 + 64, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len, "domains:\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "  - name: d%zu.example.com\n", i);
    vx__monitor_config *c = NULL;
    char err[256] = "";
    /* The time it takes is bench/config's business (goal: under 1 s); here only the result. */
    assert_int_equal(vx__monitor_config_parse("t.yml", text, len, &c, err, sizeof err), VX_OK);
    assert_int_equal(c->domain_count, n);
    assert_string_equal(c->domains[n - 1].name, "d99999.example.com.");
    vx__monitor_config_free(c);
    snprintf(text + len, cap - len, "  - name: D0.example.com.\n");
    assert_int_equal(vx__monitor_config_parse("t.yml", text, strlen(text), &c, err, sizeof err),
                     VX_EINVAL);
    assert_string_equal(err,
                        "t.yml:100002:11: duplicate domain 'd0.example.com' (first at line 2)");
    free(text);
}

static void load_reports_unreadable_file(void **state)
{
    (void)state;
    vx__monitor_config *c = NULL;
    char err[256] = "";
    assert_int_equal(vx__monitor_config_load("/nonexistent/voxdns.yml", &c, err, sizeof err),
                     VX_EIO);
    assert_string_equal(err, "/nonexistent/voxdns.yml: No such file or directory");
    assert_null(c);
}

static void load_reads_a_file(void **state)
{
    (void)state;
    char path[] = "/tmp/voxdns-cfg-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "domains: [example.com]\ninterval: 1x\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    vx__monitor_config *c = NULL;
    char err[256] = "", want[256];
    assert_int_equal(vx__monitor_config_load(path, &c, err, sizeof err), VX_EINVAL);
    snprintf(want, sizeof want,
             "%s:2:11: bad duration '1x' for 'interval' (examples: 250ms, 30s, 5m, 1h30m, 2d)",
             path);
    assert_string_equal(err, want);
    unlink(path);
}

/* ---- durations ------------------------------------------------------------------------- */

static void durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t ms;
    } good[] = {
        {"250ms", 250},  {"30s", 30000},        {"5m", 300000},
        {"1h", 3600000}, {"1h30m", 5400000},    {"2d", 172800000},
        {"0s", 0},       {"1m30s500ms", 90500}, {"213503982334d", 213503982334ull * 86400000ull}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        uint64_t ms = 1;
        assert_int_equal(vx__duration_parse(good[i].text, &ms), VX_OK);
        assert_int_equal(ms, good[i].ms);
    }
    static const char *const bad[] = {"",
                                      "5",
                                      "-5s",
                                      "5 m",
                                      "5minutes",
                                      "1.5h",
                                      "s",
                                      "5s ",
                                      "5S",
                                      "m5",
                                      "+5s",
                                      "5y",
                                      "213503982335d",
                                      "99999999999999999999ms",
                                      "18446744073709551615ms1ms"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t ms = 7;
        if (vx__duration_parse(bad[i], &ms) != VX_EINVAL)
            fail_msg("accepted '%s'", bad[i]);
        assert_int_equal(ms, 7);
    }
    assert_int_equal(vx__duration_parse(NULL, NULL), VX_EINVAL);
}

/* NOTIFY: addresses with and without a port, blocks, keys, propagation_slow globally and per
 * domain, and the refusals (no access list, bad entries, a duplicate key). */
static void notify_keys(void **state)
{
    (void)state;
    vx__monitor_config *c = NULL;
    char err[512] = "";
    const char *text = "domains:\n  - example.com\n  - {name: b.example, propagation_slow: 30s}\n"
                       "notify_listen: [198.18.0.53, \"[2001:db8::53]:5300\"]\n"
                       "notify_allow: [198.18.80.1, 2001:db8::/32]\n"
                       "notify_keys: [\"hmac-sha512:notify-key:c2VjcmV0\", \"k2:c2VjcmV0\"]\n"
                       "propagation_slow: 2m\n";
    assert_int_equal(parse(text, &c, err, sizeof err), VX_OK);
    assert_int_equal(c->notify_listen_count, 2);
    char a[VX__ADDR_TEXT_MAX];
    assert_int_equal(vx__addr_format_port((struct sockaddr *)&c->notify_listen[0], a, sizeof a),
                     VX_OK);
    assert_string_equal(a, "198.18.0.53:53");
    assert_int_equal(vx__addr_format_port((struct sockaddr *)&c->notify_listen[1], a, sizeof a),
                     VX_OK);
    assert_string_equal(a, "[2001:db8::53]:5300");
    assert_int_equal(c->notify_allow_count, 2);
    assert_int_equal(c->notify_allow[1].bits, 32);
    assert_int_equal(c->notify_key_count, 2);
    assert_string_equal(c->notify_keys[0].algorithm, "hmac-sha512");
    assert_string_equal(c->notify_keys[1].name, "k2.");
    assert_int_equal(c->propagation_slow_ms, 120000);
    assert_int_equal(c->domains[0].propagation_slow_ms, 0);
    assert_int_equal(c->domains[1].propagation_slow_ms, 30000);
    vx__monitor_config_free(c);
    expect_error("domains: [example.com]\nnotify_listen: [198.18.0.53]\n",
                 "t.yml:2:16: notify_listen needs notify_allow (source addresses) or notify_keys "
                 "(TSIG), or both");
    expect_error("domains: [example.com]\nnotify_listen: [ns1.example]\nnotify_allow: [\"::1\"]\n",
                 "t.yml:2:17: bad notify_listen address 'ns1.example' (ADDRESS[:PORT] or "
                 "[IPV6]:PORT)");
    expect_error("domains: [example.com]\nnotify_allow: [192.0.2.1/24]\n",
                 "t.yml:2:16: bad notify_allow entry '192.0.2.1/24' (ADDRESS or ADDRESS/LENGTH, "
                 "no host bits)");
    expect_error("domains: [example.com]\nnotify_keys: [\"md4:k:c2VjcmV0\"]\n",
                 "t.yml:2:15: bad notify_keys entry: [ALGORITHM:]NAME:BASE64-SECRET expected");
    expect_error("domains: [example.com]\nnotify_keys: [\"k:c2VjcmV0\", \"K.:c2VjcmV0\"]\n",
                 "t.yml:2:29: duplicate notify key 'k.'");
    expect_error("domains: [example.com]\npropagation_slow: 0s\n",
                 "t.yml:2:19: 'propagation_slow' must be at least 1s");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(notify_keys),
        cmocka_unit_test(full_config_sets_every_key),
        cmocka_unit_test(domain_providers),
        cmocka_unit_test(zone_watch_keys),
        cmocka_unit_test(minimal_config_takes_defaults),
        cmocka_unit_test(sink_defaults_and_empty_values),
        cmocka_unit_test(empty_alert_list_means_no_sinks),
        cmocka_unit_test(store_forms),
        cmocka_unit_test(unknown_keys_suggest),
        cmocka_unit_test(wrong_types),
        cmocka_unit_test(bad_durations),
        cmocka_unit_test(bad_addresses),
        cmocka_unit_test(bad_names_profiles_types),
        cmocka_unit_test(bad_sinks),
        cmocka_unit_test(yaml_syntax_errors),
        cmocka_unit_test(nesting_is_limited),
        cmocka_unit_test(many_domains_are_validated),
        cmocka_unit_test(load_reports_unreadable_file),
        cmocka_unit_test(load_reads_a_file),
        cmocka_unit_test(durations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
