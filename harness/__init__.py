"""Real processes for the tests and the benchmarks alike: free ports, each process in its own group and
stopped by pid, private Redis servers. Not shipped with the services."""
