"""The rule-file language: load (YAML with positions), check, analyse and compile onto the engine."""
