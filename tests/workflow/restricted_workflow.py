"""A workflow that breaks the sandbox's rules (it reads the wall clock), to prove the worker's
sandbox still enforces them. Kept apart so the sandbox imports nothing else with it."""

from datetime import datetime

from temporalio import workflow


@workflow.defn(name="ReadsTheWallClock")
class ReadsTheWallClock:
    @workflow.run
    async def run(self) -> str:
        return datetime.now().isoformat()  # not deterministic: the sandbox must refuse it
