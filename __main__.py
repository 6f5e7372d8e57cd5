"""Pulumi entry point: validate the stack's config, then build the org or an environment stack."""

import pulumi

from components import config, program

try:
    stack_settings = config.load(pulumi.get_stack(), config.read_pulumi_config())
    outputs = program.build(stack_settings)
except config.ConfigError as error:
    # One line, no traceback; nothing has been declared yet.
    raise pulumi.RunError(str(error)) from None

for key, value in outputs.items():
    pulumi.export(key, value)
