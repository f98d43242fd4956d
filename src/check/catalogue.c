/*
 * check/catalogue.c — owns the Markdown rendering of the check registry (docs/checks.md): per
 * area a table of id, severity (with the profiles that change it), the profiles a check runs
 * under, what it looks for and the remedy, followed by the judgement notes of that area.
 */
#include "check/catalogue.h"

#include <string.h>

#include "check/checks_impl.h"
#include "check/view_sip.h"

static const char *const profiles[] = {"generic", "lync", "teams", "enum"};

/* Table cells must not contain '|' or line breaks. */
static void cell(vx__strbuf *sb, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '|')
            vx__sb_add(sb, "\\|");
        else
            vx__sb_add(sb, "%c", *p == '\n' ? ' ' : *p);
    }
}

static void severity_cell(vx__strbuf *sb, const vx__check_def *d)
{
    vx__sb_add(sb, "%s", vx__severity_name(d->severity));
    for (size_t i = 1; i < sizeof profiles / sizeof profiles[0]; i++) {
        vx__severity s = vx__check_severity(d, profiles[i]);
        if (s != d->severity)
            vx__sb_add(sb, " (%s under %s)", vx__severity_name(s), profiles[i]);
    }
}

static void row(vx__strbuf *sb, const vx__check_def *d)
{
    vx__sb_add(sb, "| %s | ", d->id);
    severity_cell(sb, d);
    vx__sb_add(sb, " | ");
    cell(sb, vx__check_profiles(d->id));
    vx__sb_add(sb, " | ");
    cell(sb, d->title);
    vx__sb_add(sb, " | ");
    cell(sb, d->remedy);
    vx__sb_add(sb, " |\n");
}

static void area_notes(vx__strbuf *sb, const vx__check_def *defs, size_t n, const char *area)
{
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        const char *note = vx__check_notes(defs[i].id);
        if (strcmp(defs[i].area, area) != 0 || !note)
            continue;
        vx__sb_add(sb, "%s- **%s**: %s\n", first ? "\nHow the checks decide:\n\n" : "", defs[i].id,
                   note);
        first = false;
    }
}

char *vx__check_catalogue_markdown(void)
{
    size_t n;
    const vx__check_def *defs = vx__check_registry(&n);
    vx__strbuf sb = {0};
    vx__sb_add(&sb, "# voxdns checks\n\n<!-- Generated from src/check/registry.c by "
                    "vx__check_catalogue_markdown(); do not edit. -->\n\n"
                    "Severities: info, notice, warning, error, critical. Profiles: generic "
                    "(default), lync, teams, enum.\n");
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && strcmp(defs[i].area, defs[i - 1].area) == 0)
            continue;
        vx__sb_add(&sb,
                   "\n## %s\n\n| id | severity | profiles | what it looks for | remedy "
                   "|\n|---|---|---|---|---|\n",
                   defs[i].area);
        for (size_t k = i; k < n && strcmp(defs[k].area, defs[i].area) == 0; k++)
            row(&sb, &defs[k]);
        area_notes(&sb, defs, n, defs[i].area);
    }
    if (sb.oom) {
        vx__sb_free(&sb);
        return NULL;
    }
    return sb.s;
}
