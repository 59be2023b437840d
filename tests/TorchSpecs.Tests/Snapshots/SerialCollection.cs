namespace TorchSpecs.Tests.Snapshots;

/// <summary>
/// Tests that must not overlap with any other test: they redirect the process-wide console, or
/// build full-size networks (up to ~140M parameters) that should not be alive at the same time.
/// xUnit runs a collection with parallelization disabled after the parallel ones, on its own.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SerialCollection
{
    public const string Name = "Serial: console and full-size models";
}
