"""Three steps with waits between them, written with the official Python
SDK. Each step body appends its name to $SIDE_EFFECTS, outside the file, so
the restart test can count how often each body ran."""
import os
from typing import Any

from aws_durable_execution_sdk_python.config import Duration
from aws_durable_execution_sdk_python.context import DurableContext, StepContext, durable_step
from aws_durable_execution_sdk_python.execution import durable_execution


def record(name: str) -> str:
    with open(os.environ["SIDE_EFFECTS"], "a") as f:
        f.write(name + "\n")
        f.flush()
        os.fsync(f.fileno())
    return name


@durable_step
def first(_: StepContext) -> str:
    return record("first")


@durable_step
def second(_: StepContext) -> str:
    return record("second")


@durable_step
def third(_: StepContext) -> str:
    return record("third")


@durable_execution
def handler(_event: Any, context: DurableContext) -> list:
    a = context.step(first())
    context.wait(Duration.from_seconds(2))
    b = context.step(second())
    context.wait(Duration.from_seconds(2))
    c = context.step(third())
    return [a, b, c]
