"""The one place a Lambda function of this service is defined.

Runtime, architecture, JSON logs, tracing, log retention, layers and the environment every function
shares are written here once; each function gets its own role, which starts with nothing but writing
to its own log group, and its own log group with a retention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.components.nag import ROLE_DEPENDENCY, acknowledge, acknowledge_lint

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
HANDLER = "handler.lambda_handler"
ARCHITECTURES = {a.name: a for a in (lambda_.Architecture.ARM_64, lambda_.Architecture.X86_64)}


@dataclass(frozen=True)
class Layer:
    """A layer and the architecture its native code was built for (None: pure Python, either one).

    A function of the other architecture would import wheels it cannot load; the factory refuses it."""

    version: lambda_.ILayerVersion
    architecture: lambda_.Architecture | None


class FunctionFactory:
    """Builds functions from `functions/<name>/` (the asset is that folder, the entry `handler.py`)."""

    def __init__(self, *, functions_dir: Path, layers: Sequence[Layer],
                 environment: Mapping[str, str], placeholder_dir: Path | None = None) -> None:
        self._functions_dir = functions_dir
        self._layers = list(layers)
        self._environment = dict(environment)
        # Only set when synthesizing for tests: stands in for a function folder not written yet.
        self._placeholder_dir = placeholder_dir

    def _asset(self, name: str) -> lambda_.Code:
        folder = self._functions_dir / name
        if not folder.is_dir():
            if self._placeholder_dir is None:
                raise FileNotFoundError(f"functions/{name}/ is missing: every function needs its folder")
            folder = self._placeholder_dir
        return lambda_.Code.from_asset(str(folder), exclude=["__pycache__", "*.pyc"])

    def create(self, scope: Construct, name: str, *, description: str,
               environment: Mapping[str, str] | None = None, timeout: Duration | None = None,
               memory_size: int = 512, dead_letter_queue: sqs.IQueue | None = None,
               retry_attempts: int | None = None,
               architecture: lambda_.Architecture = ARCHITECTURE) -> lambda_.Function:
        """`name` is the folder under functions/ and the construct id inside `scope`.

        `dead_letter_queue` and `retry_attempts` apply to asynchronous invocations (SES, SNS, schedules).
        """
        for layer in self._layers:
            if layer.architecture is not None and layer.architecture.name != architecture.name:
                raise ValueError(
                    f"{name} runs on {architecture.name}, but the layer {layer.version.node.id} was built for "
                    f"{layer.architecture.name}: rebuild it with `python layers/build.py --arch "
                    f"{architecture.name}`")
        log_group = logs.LogGroup(scope, f"{_camel(name)}Logs", retention=LOG_RETENTION,
                                  removal_policy=RemovalPolicy.DESTROY)
        role = iam.Role(scope, f"{_camel(name)}Role",
                        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                        description=f"side conversations: the {name} function")
        log_group.grant_write(role)
        function = lambda_.Function(
            scope, _camel(name),
            description=description,
            runtime=RUNTIME,
            architecture=architecture,
            code=self._asset(name),
            handler=HANDLER,
            layers=[layer.version for layer in self._layers],
            role=role,
            timeout=timeout or Duration.seconds(10),
            memory_size=memory_size,
            tracing=lambda_.Tracing.ACTIVE,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            log_group=log_group,
            environment={**self._environment, **(environment or {})},
            dead_letter_queue=dead_letter_queue,
            retry_attempts=retry_attempts,
            recursive_loop=lambda_.RecursiveLoop.TERMINATE,
        )
        acknowledge_lint(function, *ROLE_DEPENDENCY)
        acknowledge(function, "AwsSolutions-L1",
                    "Pinned to python3.12 on purpose: the dependency layer is built and byte-compiled "
                    "for it; move both together.")
        policy = role.node.try_find_child("DefaultPolicy")
        if policy is not None:
            acknowledge(policy, "AwsSolutions-IAM5[Resource::*]",
                        "X-Ray PutTraceSegments/PutTelemetryRecords accept no resource but '*'.")
        return function


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))
