"""`onegrid classifier train|evaluate|suggest`: the report classifier from the command line.

    onegrid classifier train [--csv FILE --text-cols COL[,COL] --label-col COL] [--out MODEL]
    onegrid classifier evaluate --csv FILE --text-cols COL[,COL] --label-col COL --cv 5x3
    onegrid classifier suggest [--days 2]

`train` without --csv trains on the district's own closed cases (their final class, after any
correction) and saves the model where suggestions read it. `evaluate` prints macro-F1 and
top-3 accuracy, mean ± sd over the folds, as its last two lines.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from onegrid.core import clock
from onegrid.core.errors import InvalidInput
from onegrid.core.limits import upload_limits
from onegrid.smart import classifier, suggestions, training


class Command(BaseCommand):
    help = "Train, evaluate and run the classifier that suggests a report's class."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        train = actions.add_parser(
            "train",
            help="Train a model on a labelled CSV file, or on the district's closed cases.",
        )
        self._data_arguments(train, required=False)
        train.add_argument(
            "--out",
            metavar="MODEL",
            help="Where to write the model (default: ONEGRID_CLASSIFIER_MODEL, which "
            "suggestions read).",
        )
        train.add_argument(
            "--limit",
            type=int,
            default=training.DEFAULT_LIMIT,
            help="Without --csv: the most recent closed cases to train on "
            f"(default {training.DEFAULT_LIMIT}).",
        )
        evaluate = actions.add_parser(
            "evaluate",
            help="Repeated stratified k-fold cross-validation of training on a labelled CSV.",
        )
        self._data_arguments(evaluate, required=True)
        evaluate.add_argument(
            "--cv",
            default="5x3",
            metavar="FOLDSxREPEATS",
            help="Folds and repeats, e.g. 5x3 (default).",
        )
        suggest = actions.add_parser(
            "suggest",
            help="Make the missing suggestions for recently reported open cases and record "
            "desks' corrections (run from cron beside `onegrid tick`).",
        )
        suggest.add_argument(
            "--days", type=int, default=2, help="Cases reported in the last DAYS days (2)."
        )

    @staticmethod
    def _data_arguments(parser: CommandParser, *, required: bool) -> None:
        parser.add_argument(
            "--csv",
            metavar="FILE",
            required=required,
            help="A CSV file in UTF-8 (with or without BOM) or GB18030, with a header row.",
        )
        parser.add_argument(
            "--text-cols",
            metavar="COL[,COL]",
            help="The column(s) holding the text; several are joined (e.g. title,details).",
        )
        parser.add_argument("--label-col", metavar="COL", help="The column holding the class.")
        parser.add_argument(
            "--department-col",
            metavar="COL",
            help="Optional: a column naming the department, to learn departments too.",
        )
        parser.add_argument(
            "--urgency-col",
            metavar="COL",
            help="Optional: a column holding the urgency (red/yellow/blue), to learn it too.",
        )

    def handle(self, *args: str, action: str, **options: Any) -> None:
        try:
            if action == "train":
                self._train(options)
            elif action == "evaluate":
                self._evaluate(options)
            else:
                self._suggest(options)
        except InvalidInput as error:
            raise CommandError(str(error.message)) from None

    # --- the verbs ---

    def _dataset(self, options: dict[str, Any]) -> classifier.Dataset:
        path = options["csv"]
        text_cols = classifier.column_names(options.get("text_cols") or "")
        if not text_cols:
            raise CommandError(_("Name the text column(s): --text-cols COL[,COL]."))
        if not (options.get("label_col") or "").strip():
            raise CommandError(_("Name the label column: --label-col COL."))
        try:
            with open(path, "rb") as handle:
                # One byte past the bound: read_csv refuses the file then, unread beyond it.
                data = handle.read(upload_limits().max_bytes + 1)
        except OSError as error:
            raise CommandError(
                _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror}
            ) from None
        return classifier.read_csv(
            data,
            text_cols=text_cols,
            label_col=options["label_col"].strip(),
            department_col=(options.get("department_col") or "").strip() or None,
            urgency_col=(options.get("urgency_col") or "").strip() or None,
            source=Path(path).name,
        )

    def _train(self, options: dict[str, Any]) -> None:
        if options.get("csv"):
            dataset = self._dataset(options)
        else:
            if options.get("text_cols") or options.get("label_col"):
                raise CommandError(_("--text-cols and --label-col go with --csv FILE."))
            if options["limit"] < 1:
                raise CommandError(_("--limit is a positive number of cases."))
            corrected = suggestions.record_corrections()
            dataset = training.district_dataset(limit=options["limit"])
            self.stdout.write(
                _("%(n)d closed cases with a description (final class after corrections).")
                % {"n": len(dataset)}
            )
            if corrected:
                self.stdout.write(
                    _("Corrections recorded on %(n)d suggestions.") % {"n": corrected}
                )
        for note in dataset.notes:
            self.stdout.write(note)
        self.stdout.write(
            _("Training on %(rows)d texts in %(classes)d classes…")
            % {"rows": len(dataset), "classes": len(dataset.counts())}
        )
        model = classifier.train(dataset)
        target = Path(options["out"]) if options.get("out") else classifier.model_path()
        try:
            saved = model.save(target)
        except OSError as error:
            raise CommandError(
                _("Cannot write %(path)s: %(error)s") % {"path": target, "error": error.strerror}
            ) from None
        meta = model.meta
        names = {"department": _("department"), "urgency": _("urgency")}
        learned = "、".join(str(names.get(k, k)) for k in meta["learned"]) or _("nothing else")
        self.stdout.write(
            _(
                "Chosen by %(folds)d-fold cross-validation: C=%(c)s, embedding weight %(w)s "
                "(macro-F1 of the out-of-fold predictions %(f1)s)."
            )
            % {
                "folds": classifier.INNER_FOLDS,
                "c": meta["c"],
                "w": meta["embedding_weight"],
                "f1": "—" if meta["cv_macro_f1"] is None else f"{meta['cv_macro_f1']:.3f}",
            }
        )
        self.stdout.write(_("Besides the class, learned: %(what)s.") % {"what": learned})
        self.stdout.write(
            _("Model %(version)s written to %(path)s.") % {"version": model.version, "path": saved}
        )

    def _evaluate(self, options: dict[str, Any]) -> None:
        folds, repeats = classifier.parse_cv(options["cv"])
        dataset = self._dataset(options)
        self.stdout.write(
            _(
                "%(rows)d texts in %(classes)d classes; %(folds)d folds × %(repeats)d repeats, "
                "each fold trained and tuned on the others."
            )
            % {
                "rows": len(dataset),
                "classes": len(dataset.counts()),
                "folds": folds,
                "repeats": repeats,
            }
        )

        def progress(number: int, result: classifier.FoldResult) -> None:
            self.stdout.write(
                _(
                    "fold %(n)d: macro-F1 %(f1).3f, accuracy %(acc).3f, top-3 %(top3).3f "
                    "(C=%(c)s, embedding weight %(w)s, %(s).1f s)"
                )
                % {
                    "n": number,
                    "f1": result.macro_f1,
                    "acc": result.accuracy,
                    "top3": result.top3,
                    "c": result.c,
                    "w": result.weight,
                    "s": result.seconds,
                }
            )

        evaluation = classifier.evaluate(dataset, folds=folds, repeats=repeats, progress=progress)
        per_text = 1000 * evaluation.encode_seconds / max(1, evaluation.rows)
        self.stdout.write(
            _("Sentence encoder: %(ms).1f ms per text (with loading).") % {"ms": per_text}
        )
        for name, label in (
            ("accuracy", _("accuracy")),
            ("log_loss", _("log-loss")),
            ("calibration_error", _("calibration error (ECE)")),
        ):
            mean, sd = evaluation.summary(name)
            self.stdout.write(f"{label}: {mean:.3f} ± {sd:.3f}")
        f1, f1_sd = evaluation.summary("macro_f1")
        top3, top3_sd = evaluation.summary("top3")
        self.stdout.write(f"macro-F1: {f1:.3f} ± {f1_sd:.3f}")
        self.stdout.write(f"top-3 accuracy: {top3:.3f} ± {top3_sd:.3f}")

    def _suggest(self, options: dict[str, Any]) -> None:
        if not 1 <= options["days"] <= 366:
            raise CommandError(_("--days is between 1 and 366."))
        if classifier.current.get() is None:
            raise CommandError(
                _("No model at %(path)s: run `onegrid classifier train` first.")
                % {"path": classifier.model_path()}
            )
        since = clock.now() - dt.timedelta(days=options["days"])
        made = suggestions.suggest_recent(since=since)
        corrected = suggestions.record_corrections()
        self.stdout.write(
            _("%(made)d suggestions made; corrections recorded on %(corrected)d.")
            % {"made": made, "corrected": corrected}
        )
