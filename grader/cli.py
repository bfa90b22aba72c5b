"""The `micrograder` command. Commands stay thin: each parses options and calls a module."""
import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="micrograder")
def main():
    """Generate the micrograd course from its reference solution and grade submissions."""


# Commands are registered below by their own modules' thin wrappers.
