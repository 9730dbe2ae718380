"""`onegrid duplicates evaluate [--days 30] [--seed S] [--per-day K] [--threshold T] [--fit]`:
precision and recall of the likely-duplicate score on the simulator's labelled reports.

The plan of `onegrid simulate`/`onegrid demo` (demo.simulator.make_plan) is drawn for the seed
(nothing is written): its second reports of a problem are the duplicates, its look-alikes close
by the hard negatives. Needs the district and the catalogue loaded (`onegrid demo`). With
`--fit` the coefficients and the threshold are first fitted by cross-validation on the plan of
`--fit-seed` (never the seed measured) and printed, ready for smart/duplicates.py MODEL.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.cases.models import CaseClass
from onegrid.demo.simulator import make_plan
from onegrid.smart import duplicates, evaluation

from .demo import DEMO_SEED


def labelled(plan: Any) -> list[evaluation.Labelled]:
    """The plan's reports with their problem ids (a duplicate's is the report it repeats)."""
    majors = dict(CaseClass.objects.values_list("code", "major__code"))
    return [
        evaluation.Labelled(
            n=p.n,
            problem=p.duplicate_of or p.n,
            report=duplicates.Report(
                lon=p.lon,
                lat=p.lat,
                class_code=p.class_code,
                major=majors[p.class_code],
                at=p.at,
                text=p.description,
            ),
        )
        for p in plan.cases
    ]


class Command(BaseCommand):
    help = "Measure the likely-duplicate score on simulated labelled reports (and refit it)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        run = actions.add_parser(
            "evaluate", help="Precision and recall on the plan of a seed (nothing is written)."
        )
        run.add_argument("--days", type=int, default=30, help="days of reports (default 30)")
        run.add_argument(
            "--seed", type=int, default=DEMO_SEED, help=f"plan measured (default {DEMO_SEED})"
        )
        run.add_argument(
            "--per-day", type=int, default=60, help="reports on a working day (default 60)"
        )
        run.add_argument(
            "--start", default="2026-03-02", help="first day of the plan (default 2026-03-02)"
        )
        run.add_argument(
            "--threshold", type=float, help="score cut (default ONEGRID DUPLICATE_THRESHOLD)"
        )
        run.add_argument(
            "--fit", action="store_true", help="fit the model on --fit-seed first, then measure"
        )
        run.add_argument(
            "--fit-seed",
            type=int,
            default=duplicates.FIT_SEED,
            help=f"plan to fit on (default {duplicates.FIT_SEED})",
        )
        run.add_argument(
            "--fit-per-day",
            type=int,
            default=120,
            help="reports on a working day in the fitting plan (default 120)",
        )

    def handle(self, *args: str, action: str, **options: Any) -> None:
        days, seed, per_day = options["days"], options["seed"], options["per_day"]
        if days < 1 or per_day < 1 or options["fit_per_day"] < 1:
            raise CommandError(_("--days and --per-day must be at least 1."))
        try:
            start = dt.datetime.combine(
                dt.date.fromisoformat(options["start"]),
                dt.time(0),
                tzinfo=dt.timezone(dt.timedelta(hours=8)),
            )
        except ValueError:
            raise CommandError(_("--start takes a date such as 2026-03-01.")) from None
        model, cut = duplicates.MODEL, duplicates.threshold()
        if options["fit"]:
            if options["fit_seed"] == seed:
                raise CommandError(_("Fit on another seed than the one measured."))
            fitting = evaluation.pairs(
                self._items(days, options["fit_seed"], options["fit_per_day"], start)
            )
            began = time.perf_counter()
            fitted = evaluation.fit(fitting)
            fm = fitted.model
            self.stdout.write(
                _(
                    "Fitted on seed %(seed)d (%(pairs)d pairs, %(pos)d duplicates) in "
                    "%(seconds).1f s: C %(c)g, threshold %(t).2f, cross-validated F1 %(f1).3f"
                )
                % {
                    "seed": options["fit_seed"],
                    "pairs": len(fitting),
                    "pos": sum(p.same for p in fitting),
                    "seconds": time.perf_counter() - began,
                    "c": fitted.c,
                    "t": fitted.threshold,
                    "f1": fitted.cv_f1,
                }
            )
            self.stdout.write(
                f"MODEL = Model(intercept={fm.intercept:.3f}, per_100m={fm.per_100m:.3f}, "
                f"same_group={fm.same_group:.3f}, same_class={fm.same_class:.3f}, "
                f"log_hours={fm.log_hours:.3f}, "
                f"text={fm.text:.3f}, no_text={fm.no_text:.3f})"
            )
            model, cut = fm, fitted.threshold
        if options["threshold"] is not None:
            cut = options["threshold"]
            if not 0.0 < cut < 1.0:
                raise CommandError(_("--threshold must lie between 0 and 1."))
        items = self._items(days, seed, per_day, start)
        scored = evaluation.pairs(items)
        hidden = evaluation.pairs(items, read_text=False)
        self.stdout.write(
            _(
                "Seed %(seed)d, %(days)d days from %(start)s, radius %(radius).0f m, "
                "window %(window)d days: %(pairs)d pairs scored, %(pos)d of them duplicates"
            )
            % {
                "seed": seed,
                "days": days,
                "start": options["start"],
                "radius": duplicates.search_radius_m(),
                "window": duplicates.search_window().days,
                "pairs": len(scored),
                "pos": sum(p.same for p in scored),
            }
        )
        for label, pairs in ((_("with text"), scored), (_("without text (hint)"), hidden)):
            scores = evaluation.model_scores(model, pairs)
            for t in sorted({cut, 0.3, 0.5, 0.7}):
                m = evaluation.measure(pairs, scores, t)
                mark = " *" if t == cut else ""
                self.stdout.write(
                    _(
                        "  %(label)s, threshold %(t).2f: precision %(p).3f, recall %(r).3f, "
                        "F1 %(f1).3f (tp %(tp)d, fp %(fp)d, fn %(fn)d); best candidate right "
                        "for %(top1)d of %(reports)d repeated reports (%(rate).3f)"
                    )
                    % {
                        "label": label,
                        "t": t,
                        "p": m.precision,
                        "r": m.recall,
                        "f1": m.f1,
                        "tp": m.tp,
                        "fp": m.fp,
                        "fn": m.fn,
                        "top1": m.top1,
                        "reports": m.reports,
                        "rate": m.top1_rate,
                    }
                    + mark
                )

    def _items(
        self, days: int, seed: int, per_day: int, start: dt.datetime
    ) -> list[evaluation.Labelled]:

        try:
            return labelled(make_plan(days, seed, start, per_day))
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
