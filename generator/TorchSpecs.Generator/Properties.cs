using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("TorchSpecs.Tests")]
[assembly: InternalsVisibleTo("TorchSpecs.Benchmarks")]
