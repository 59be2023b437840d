using Microsoft.CodeAnalysis;

namespace TorchSpecs.Generator.Diagnostics;

/// <summary>
/// A diagnostic as equatable data: descriptor ID, place and message arguments. Turned into
/// a Roslyn <see cref="Diagnostic"/> only when reported.
/// </summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo Location, EquatableArray<string> Args)
{
    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, LocationInfo location, params object[] args)
        => new(descriptor.Id, location, args.Select(a => a?.ToString() ?? "").ToEquatableArray());

    public bool IsError => DiagnosticDescriptors.Get(Id).DefaultSeverity == DiagnosticSeverity.Error;

    public Diagnostic ToDiagnostic() =>
        Diagnostic.Create(DiagnosticDescriptors.Get(Id), Location.ToLocation(), Args.Cast<object>().ToArray());
}
