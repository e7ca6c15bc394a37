"""`python -m policy_engine.cli …` runs the CLI (the same as the `credit-policy` command)."""

from policy_engine.cli import main

if __name__ == "__main__":
    main()
