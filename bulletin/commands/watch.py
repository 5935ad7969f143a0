"""`bulletin watch add|list|remove|test|check`: watchlists kept in the archive, and their alerts."""

from __future__ import annotations

from typing import Any

import click

from bulletin.cli import print_json, with_settings
from bulletin.config import Settings
from bulletin.records import STAGE_LABELS

RULE_OPTIONS = (
    ("people", "--person", "A person, any name order, case and accents ignored (repeatable)."),
    ("orgs", "--org", "An organisation named, else the words in the text (repeatable)."),
    ("places", "--place", "A place named, else the words in the text (repeatable)."),
    ("keywords", "--keyword", "A word or phrase in the title or text; 'word*' for a prefix (repeatable)."),
    ("sources", "--source", "Only stories from this source (repeatable: any of them)."),
    ("tactics", "--tactic", "Only stories giving this tactic (repeatable: any of them)."),
)


def _rule_options(command: Any) -> Any:
    for key, flag, help_text in reversed(RULE_OPTIONS):
        command = click.option(flag, key, multiple=True, metavar="TEXT", help=help_text)(command)
    command = click.option(
        "--min-sentence",
        "min_sentence",
        metavar="TERM",
        help="Only prison terms this long or longer: 60, 5y, 5y6m.",
    )(command)
    return click.option(
        "--min-stage",
        "min_stage",
        type=click.Choice(STAGE_LABELS),
        help="Only stories at this stage or later.",
    )(command)


@click.group("watch")
def watch_group() -> None:
    """Watchlists: named sets of rules whose new matches raise an alert after each extraction.

    An alert is raised once per watchlist, story and version of what matched, and goes out
    by mail (--email, over the smtp settings), to a webhook (--webhook, signed with
    $BULLETIN_WEBHOOK_SECRET) and into the watchlist's Atom feed beside the digest.
    """


@watch_group.command("add")
@click.argument("name")
@_rule_options
@click.option(
    "--email", "emails", multiple=True, metavar="ADDRESS", help="Mail its alerts here (repeatable)."
)
@click.option("--webhook", metavar="URL", help="POST its alerts here as signed JSON.")
@with_settings
def watch_add(
    settings: Settings, /, name: str, emails: tuple[str, ...], webhook: str | None, **rules: Any
) -> None:
    """Create watchlist NAME, or add these rules and addresses to it."""
    from bulletin.store import Store
    from bulletin.watchlists import RULE_KINDS, Watchlist, get_watchlist, save_watchlist, watchlists

    with Store.open(settings.db) as store:
        existing = next((w for w in watchlists(store) if w.name == " ".join(name.split())), None)
        merged: dict[str, Any] = dict(existing.rules) if existing else {}
        for kind in RULE_KINDS:
            value = rules.get(kind)
            if isinstance(value, tuple):
                merged[kind] = [*merged.get(kind, []), *value]
            elif value:
                merged[kind] = value
        saved = save_watchlist(
            store,
            Watchlist(
                name=name,
                rules=merged,
                emails=(*(existing.emails if existing else ()), *emails),
                webhook=webhook if webhook is not None else (existing.webhook if existing else ""),
            ),
            replace_id=existing.id if existing else None,
        )
        saved = get_watchlist(store, saved.name)
    click.echo(
        f"{'updated' if existing else 'added'} watchlist {saved.name}: {'; '.join(saved.rule_lines())}"
    )


@watch_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per watchlist.")
@with_settings
def watch_list(settings: Settings, as_json: bool) -> None:
    """The watchlists, their rules, where their alerts go and how many they raised."""
    from bulletin.store import Store
    from bulletin.watchlists import watchlists

    with Store.open(settings.db, create=False) as store:
        lists = watchlists(store)
        counts = {
            int(r[0]): int(r[1])
            for r in store.conn.execute(
                "SELECT watchlist_id, count(*) FROM watch_alerts GROUP BY watchlist_id"
            )
        }
        waiting: dict[int, list[str]] = {}
        for row in store.conn.execute(
            "SELECT watchlist_id, mail_status, webhook_status, count(*) FROM watch_alerts"
            " WHERE mail_status IN ('pending', 'uncertain') OR webhook_status IN ('pending', 'failed',"
            " 'rejected', 'abandoned') GROUP BY watchlist_id, mail_status, webhook_status"
        ):
            states = waiting.setdefault(int(row[0]), [])
            if row[1] in ("pending", "uncertain"):
                states.append(f"{row[3]} mail {row[1]}")
            if row[2] in ("pending", "failed", "rejected", "abandoned"):
                states.append(f"{row[3]} webhook {row[2]}")
    if as_json:
        print_json(
            [
                {
                    "name": w.name,
                    "rules": w.rules,
                    "emails": list(w.emails),
                    "webhook": w.webhook,
                    "alerts": counts.get(w.id or 0, 0),
                    "undelivered": waiting.get(w.id or 0, []),
                    "checked_until": w.checked_until.isoformat() if w.checked_until else None,
                }
                for w in lists
            ]
        )
        return
    for w in lists:
        where = [*w.emails, *([w.webhook] if w.webhook else [])]
        states = waiting.get(w.id or 0, [])
        click.echo(
            f"{w.name}: {counts.get(w.id or 0, 0)} alerts"
            + (f" ({', '.join(states)})" if states else "")
            + f"; to {', '.join(where) or 'the feed only'}"
        )
        for line in w.rule_lines():
            click.echo(f"  {line}")
    click.echo(f"{len(lists)} watchlists")


@watch_group.command("remove")
@click.argument("name")
@_rule_options
@click.option("--email", "emails", multiple=True, metavar="ADDRESS", help="Stop mailing this address.")
@click.option("--webhook", "no_webhook", is_flag=True, help="Stop posting to the webhook.")
@with_settings
def watch_remove(
    settings: Settings, /, name: str, emails: tuple[str, ...], no_webhook: bool, **rules: Any
) -> None:
    """Remove watchlist NAME (and its alerts), or, given rules or addresses, only those."""
    from bulletin.store import Store
    from bulletin.watchlists import RULE_KINDS, Watchlist, get_watchlist, remove_watchlist, save_watchlist

    with Store.open(settings.db) as store:
        found = get_watchlist(store, name)
        given = any(rules.get(k) for k in RULE_KINDS) or emails or no_webhook
        if not given:
            gone = remove_watchlist(store, found.name)
            click.echo(f"removed watchlist {found.name} and its {gone} alerts")
            return
        kept = dict(found.rules)
        for kind in RULE_KINDS:
            value = rules.get(kind)
            if isinstance(value, tuple) and value:
                missing = [v for v in value if v not in kept.get(kind, [])]
                if missing:
                    raise click.UsageError(f"{found.name} has no {kind} rule {missing[0]!r}")
                kept[kind] = [v for v in kept.get(kind, []) if v not in value]
            elif value:
                kept.pop(kind, None)
        saved = save_watchlist(
            store,
            Watchlist(
                name=found.name,
                rules=kept,
                emails=tuple(e for e in found.emails if e not in emails),
                webhook="" if no_webhook else found.webhook,
            ),
            replace_id=found.id,
        )
    click.echo(f"updated watchlist {saved.name}: {'; '.join(saved.rule_lines())}")


@watch_group.command("test")
@click.argument("name")
@click.option("--limit", default=20, show_default=True, help="How many matches to show (newest first).")
@click.option("--json", "as_json", is_flag=True, help="A JSON array, one object per match.")
@with_settings
def watch_test(settings: Settings, name: str, limit: int, as_json: bool) -> None:
    """What watchlist NAME would have matched over the whole archive; alerts nobody."""
    from bulletin.store import Store
    from bulletin.watchlists import get_watchlist, scan

    with Store.open(settings.db, create=False) as store:
        watchlist = get_watchlist(store, name)
        found = [m.to_json() for m in scan(store, watchlist)]
    found.sort(key=lambda m: m["published"] or "", reverse=True)
    if as_json:
        print_json(found[:limit])
        return
    for match in found[:limit]:
        day = (match["published"] or "")[:10] or "undated"
        click.echo(f"story {match['story_id']} {day} {match['title']}")
        for m in match["matches"]:
            evidence = m["evidence"]
            shown = f": {evidence['before']}[{evidence['match']}]{evidence['after']}" if evidence else ""
            click.echo(f"  {m['rule']} ({m['where']}){shown}")
    more = f", showing {limit}" if len(found) > limit else ""
    click.echo(
        f"watchlist {watchlist.name} matches {len(found)} stories in the archive{more} (nothing alerted)"
    )


@watch_group.command("check")
@with_settings
def watch_check(settings: Settings) -> None:
    """Raise and deliver the alerts now (`bulletin extract` and `bulletin run` do it anyway)."""
    from bulletin.alerts import check_alerts
    from bulletin.store import Store

    with Store.open(settings.db) as store:
        result = check_alerts(settings, store)
    click.echo(result.summary())
