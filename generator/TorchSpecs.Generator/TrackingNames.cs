namespace TorchSpecs.Generator;

/// <summary>Names of the pipeline steps, for incremental-caching tests.</summary>
public static class TrackingNames
{
    public const string Options = nameof(Options);
    public const string Parse = nameof(Parse);
    public const string Gather = nameof(Gather);
    public const string Resolve = nameof(Resolve);
    public const string Infer = nameof(Infer);
    public const string Catalog = nameof(Catalog);
}
