// Training, augmentation and weight initialization draw from torch's one global random
// generator; tests that seed it and compare runs must not share it with tests running
// alongside. The suite is small, so it runs one test class at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
