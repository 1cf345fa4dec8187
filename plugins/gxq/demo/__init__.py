"""Demo department data (演示数据): the four ``dept_*`` databases of the contract, deterministic."""
