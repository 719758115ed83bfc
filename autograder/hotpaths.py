"""Two hot spots of nbgrader's own code, made fast for the length of a batch without changing what they compute.

nbgrader opens a new `Gradebook(db_url)` in every preprocessor call and converter step: about 15 per graded
notebook, each creating a SQLAlchemy engine, inspecting the schema, running `create_all` and starting with an
empty statement cache. And `CheckCellMetadata`, run twice per notebook, calls `jsonschema.validate`, which checks
the metadata schema itself again for every cell. Together they were most of a batch's main-thread time.

Inside `fast_nbgrader()`:
- the first `Gradebook` for a URL is built as usual; the later ones reuse its engine (connection pool, compiled
  statements) and skip the schema and course set-up already done, and `close()` ends the session but keeps the pool.
  Sessions stay per-`Gradebook`, so transactions behave as nbgrader expects;
- `jsonschema.validate(instance, schema)` checks each distinct schema once and reuses its validator, and
  remembers the instances it found valid (a class's cells repeat the same few metadata dicts); the errors raised
  are the same (`best_match` of the same validator's errors);
- SQLAlchemy's "Object of type <SubmittedAssignment> not in session" warnings are silenced: nbgrader's
  `add_submission` links the new rows through backrefs, which SQLAlchemy 2 no longer cascades into the session,
  then adds the whole tree itself one line later, so the warning is noise on every new submission.
Not thread-safe: the batch touches the gradebook and the metadata from its main thread only.
"""
from __future__ import annotations

import json
import warnings
from contextlib import ExitStack, contextmanager
from typing import Iterator

import jsonschema
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning
from sqlalchemy.orm import scoped_session, sessionmaker


@contextmanager
def _patched(owner, **attributes) -> Iterator[None]:
    saved = {name: getattr(owner, name) for name in attributes}
    for name, value in attributes.items():
        setattr(owner, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(owner, name, value)


@contextmanager
def _shared_engines() -> Iterator[None]:
    engines, courses = {}, set()
    original_init = Gradebook.__init__

    def __init__(self, db_url: str, course_id: str = "default_course", authenticator=None) -> None:
        if db_url not in engines:
            original_init(self, db_url, course_id, authenticator)
            engines[db_url] = self.engine
            courses.add((db_url, course_id))
            return
        # the body of Gradebook.__init__ without the engine and the schema set-up
        self.engine = engines[db_url]
        self.db = scoped_session(sessionmaker(autoflush=True, bind=self.engine, future=True))
        if (db_url, course_id) not in courses:
            self.check_course(course_id=course_id)  # creates the course row if missing: once is enough
            courses.add((db_url, course_id))
        self.course_id = course_id
        self.authenticator = authenticator

    def close(self) -> None:
        self.db.remove()

    try:
        with _patched(Gradebook, __init__=__init__, close=close):
            yield
    finally:
        for engine in engines.values():
            engine.dispose()


@contextmanager
def _cached_validators() -> Iterator[None]:
    original = jsonschema.validate
    validators: list[tuple[dict, object]] = []  # (schema, its validator): nbgrader has one schema per version
    valid: set[tuple[int, str]] = set()  # (validator's index, instance as JSON) already found valid

    def validator_for(schema: dict) -> tuple[int, object]:
        # nbgrader loads a fresh copy of the same schema for every notebook: compare by value (a C-level walk)
        for index, (known, validator) in enumerate(validators):
            if known == schema:
                return index, validator
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        validators.append((schema, cls(schema)))
        return len(validators) - 1, validators[-1][1]

    def validate(instance, schema, cls=None, *args, **kwargs) -> None:
        if cls is not None or args or kwargs:
            return original(instance, schema, cls, *args, **kwargs)
        index, validator = validator_for(schema)
        # a class's cells carry the same few metadata dicts over and over; validity depends on nothing else
        key = (index, json.dumps(instance, sort_keys=True, default=repr))
        if key in valid:
            return
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        if error is not None:
            raise error
        valid.add(key)

    with _patched(jsonschema, validate=validate):
        yield


@contextmanager
def _quiet_backref_cascades() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Object of type <\w+> not in session", category=SAWarning)
        yield


@contextmanager
def fast_nbgrader() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(_quiet_backref_cascades())
        stack.enter_context(_shared_engines())
        stack.enter_context(_cached_validators())
        yield
