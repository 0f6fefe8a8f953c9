"""Replays recorded executions of the rollout state machine on moto's Step Functions interpreter.

Reads {"definition", "stateMachineName", "account", "region", "traces"} as JSON on stdin and
writes {"replays": [...]} on stdout: for each trace, the states moto entered (from its execution
history), the input of every Lambda invocation it made, the seconds of every Wait, and how the
execution ended. Each Lambda invocation is answered with the recorded result of the same function
at the same position; the interpreter decides everything else. Nothing sleeps: Waits and Retry
intervals are recorded and skipped, and Timestamp waits are measured against the simulator's clock
at the moment the state was entered.
"""

import datetime
import functools
import io
import json
import os
import sys
import time
import types

MISSING = (
    "The second-engine check needs moto 5.2 with its Step Functions interpreter for this python3: "
    "pip install 'moto[stepfunctions]==5.2.*' (then `python3 -c \"import moto\"` must work)."
)


def main() -> None:
    request = json.load(sys.stdin)
    os.environ["MOTO_ACCOUNT_ID"] = request["account"]
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    try:
        from moto import mock_aws
        from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
            lambda_eval_utils,
        )
        from moto.stepfunctions.parser.asl.component.state.wait import state_wait
        from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (
            timestamp,
            wait_function,
        )
        from moto.stepfunctions.parser import models as parser_models
        from moto.stepfunctions.parser.asl.component.common.path import result_path
        from moto.stepfunctions.parser.asl.utils import json_path
    except ImportError as error:
        print(f"{MISSING} ({error})", file=sys.stderr)
        sys.exit(3)

    # jsonpath_ng builds its parser tables again for every path it parses (0.2 s each): a path's
    # parse is a pure function of the path, so it is kept.
    json_path.parse = functools.lru_cache(maxsize=None)(json_path.parse)
    result_path.parse = functools.lru_cache(maxsize=None)(result_path.parse)
    clock = Clock()
    replay = Replay()
    clocked = types.SimpleNamespace(**vars(datetime))
    clocked.datetime = clock.datetime_class()
    # The interpreter reads the wall clock for $$.Execution.StartTime and for Timestamp waits.
    timestamp.datetime = clocked
    parser_models.datetime = clocked
    retrier_decl.time = types.SimpleNamespace(sleep=lambda seconds: None, time=time.time)
    lambda_eval_utils.boto_client_for = lambda **kwargs: replay
    entered_wait = state_wait.StateWait._eval_state

    def eval_wait(self, env):
        clock.set(replay.next_wait_entered_at())
        entered_wait(self, env)

    def wait_interval(self, env, wait_seconds):
        state = env.states.context_object.context_object_data["State"]["Name"]
        replay.waits.append({"state": state, "seconds": wait_seconds})

    state_wait.StateWait._eval_state = eval_wait
    wait_function.WaitFunction._wait_interval = wait_interval

    backend = parser_models.stepfunctions_parser_backends[request["account"]][request["region"]]
    replays = []
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        machine = backend.create_state_machine(
            name=request["stateMachineName"],
            definition=json.dumps(request["definition"]),
            roleArn=f"arn:aws:iam::{request['account']}:role/{request['stateMachineName']}",
        )
        for trace in request["traces"]:
            replay.start(trace)
            clock.set(trace["startDate"])
            execution = backend.start_execution(
                machine.arn, name=trace["name"], execution_input=json.dumps(trace["input"])
            )
            replays.append(finish(backend, execution, trace["name"], replay))
            # Each scenario's simulation seeds its ids: names repeat from one scenario to the next.
            machine.executions.clear()
    json.dump({"replays": replays}, sys.stdout)


def finish(backend, execution, name, replay):
    # A replay takes seconds; one that still runs after two minutes has hung in the interpreter.
    deadline = time.monotonic() + 120
    while execution.exec_status == "RUNNING":
        if time.monotonic() > deadline:
            backend.stop_execution(execution.exec_arn)
            return {"name": name, "stuck": "still RUNNING after its real-time limit"}
        time.sleep(0.02)
    history = backend.get_execution_history(execution.exec_arn)["events"]
    described = execution.to_describe_output()
    return {
        "name": name,
        "states": [
            event["stateEnteredEventDetails"]["name"]
            for event in history
            if event["type"].endswith("StateEntered")
        ],
        "invocations": replay.sent,
        "waits": replay.waits,
        "unanswered": len(replay.pending),
        "status": described["status"],
        "error": described.get("error"),
        "cause": described.get("cause"),
    }


class Clock:
    """The wall clock as the interpreter reads it: set to the simulator's virtual time."""

    def __init__(self):
        self.now = datetime.datetime.now(datetime.timezone.utc)

    def set(self, iso):
        if iso is not None:
            self.now = datetime.datetime.fromisoformat(iso.replace("Z", "+00:00"))

    def datetime_class(self):
        clock = self

        class ClockedDatetime(datetime.datetime):
            @classmethod
            def now(cls, tz=None):
                moment = clock.now if tz is None else clock.now.astimezone(tz)
                # Naive "now" is compared with naive UTC timestamps (the machine runs on UTC in AWS).
                return moment.replace(tzinfo=None) if tz is None else moment

        return ClockedDatetime


class Replay:
    """A Lambda client answering each invocation with the recorded outcome of the same function."""

    def start(self, trace):
        self.pending = list(trace["invocations"])
        self.wait_times = [wait["enteredAt"] for wait in trace["waits"]]
        self.sent = []
        self.waits = []

    def next_wait_entered_at(self):
        return self.wait_times.pop(0) if self.wait_times else None

    def invoke(self, FunctionName, Payload=None, **_):
        function_key = FunctionName[FunctionName.rfind("-") + 1 :]
        payload = json.loads(Payload) if Payload else None
        self.sent.append({"functionKey": function_key, "input": payload})
        if not self.pending or self.pending[0]["functionKey"] != function_key:
            expected = self.pending[0]["functionKey"] if self.pending else "nothing more"
            return failure(
                "ReplayDiverged", f"moto invoked {function_key} where the recording has {expected}"
            )
        outcome = self.pending.pop(0)["outcome"]
        if "result" in outcome:
            return {"StatusCode": 200, "Payload": io.BytesIO(json.dumps(outcome["result"]).encode())}
        return failure(outcome["error"], outcome["cause"])


def failure(error, cause):
    """A function error as Lambda returns it: the runtime's JSON payload (errorType, errorMessage)."""
    try:
        payload = json.loads(cause)
    except ValueError:
        payload = None
    if not isinstance(payload, dict) or payload.get("errorType") != error:
        payload = {"errorType": error, "errorMessage": cause}
    body = json.dumps(payload).encode()
    return {"StatusCode": 200, "FunctionError": "Unhandled", "Payload": io.BytesIO(body)}


if __name__ == "__main__":
    main()
