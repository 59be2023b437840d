using System.Collections.Immutable;
using System.IO;

namespace TorchSpecs.Generator.Parsing;

/// <summary>
/// What one spec tells the others: its model, the model it builds on, and a hash of its text.
/// The headers of all specs are collected for <c>base:</c>; holding a hash rather than the text
/// keeps that collection small, and an edit still changes the header of the spec edited.
/// </summary>
internal sealed record SpecHeader(string FilePath, string? Model, string? Base, LocationInfo? BaseLocation, bool UsesFamilyKeys, string Hash);

/// <summary>
/// One spec file after the per-file step: its header, its text and, for a spec that uses no
/// family key, its complete parse. Equatable: the text is a string, the parse plain records.
/// </summary>
internal sealed record SpecFile(SpecHeader Header, string Text, ParsedSpec? Parsed)
{
    public SpecSource Source => new(Header.FilePath, Text, Header.Model, Header.Base, Header.BaseLocation, Header.UsesFamilyKeys);
}

/// <summary>
/// A spec with what it needs of the other specs: its own parse (no base), or the texts of its
/// chain of bases (root first), or why the chain cannot be followed. A spec's value changes only
/// when a file of its own chain does, so the parse after it (<see cref="SpecFamily.Resolve"/>)
/// runs again only for the spec edited and the specs built on it.
/// </summary>
internal sealed record SpecChain(string FilePath, ParsedSpec? Plain, EquatableArray<SpecSource> Chain, DiagnosticInfo? Failure, string? Base, LocationInfo? BaseLocation);

/// <summary>A spec resolved against the project's other specs: its expanded table, and the <c>base:</c> it names.</summary>
internal sealed record ResolvedSpec(ParsedSpec Parsed, string? BaseModel, LocationInfo? BaseLocation);

/// <summary>
/// Resolves <c>base:</c> across files. Per file, <see cref="Read"/> parses what needs no other
/// file; with the headers of all files, <see cref="Gather"/> follows each spec's chain of bases
/// and takes the texts of that chain; <see cref="Resolve"/> expands its table. A spec without
/// family keys passes through unchanged, so its value (and every step after it) stays cached
/// when another file changes.
/// </summary>
internal static class SpecFamily
{
    public static SpecFile Read(string path, string? text)
    {
        var source = SpecParser.ReadHeader(path, text);
        var header = new SpecHeader(path, source.Model, source.Base, source.BaseLocation, source.UsesFamilyKeys, Hash(source.Text));
        return new SpecFile(header, source.Text, source.UsesFamilyKeys ? null : SpecParser.Parse(path, text));
    }

    /// <summary>A SHA-256 of the text, hex: equal texts, equal hashes, on every machine.</summary>
    internal static string Hash(string text)
    {
        using var sha = System.Security.Cryptography.SHA256.Create();
        var bytes = sha.ComputeHash(System.Text.Encoding.UTF8.GetBytes(text));
        var hex = new System.Text.StringBuilder(bytes.Length * 2);
        foreach (byte b in bytes) hex.Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        return hex.ToString();
    }

    public static SpecChain Gather(SpecFile file, ImmutableArray<SpecHeader> all, ImmutableArray<SpecFile> files)
    {
        var self = file.Header;
        if (file.Parsed is not null) return new SpecChain(self.FilePath, file.Parsed, EquatableArray<SpecSource>.Empty, null, null, null);
        SpecChain Fail(DiagnosticInfo d) => new(self.FilePath, null, EquatableArray<SpecSource>.Empty, d, self.Base, self.BaseLocation);

        var chain = new List<SpecHeader> { self };
        var current = self;
        while (current.Base is not null)
        {
            string wanted = current.Base;
            var next = all.Where(s => s.Model == wanted).OrderBy(s => s.FilePath, StringComparer.Ordinal).FirstOrDefault();
            if (next is null)
            {
                if (current.FilePath == self.FilePath)
                {
                    var models = all.Where(s => s.Model is not null && s.FilePath != self.FilePath).Select(s => s.Model!);
                    return Fail(DiagnosticInfo.Create(DiagnosticDescriptors.UnknownBase, self.BaseLocation!, wanted, SpecParser.DidYouMean(wanted, models)));
                }
                return Fail(BaseHasErrors(self, current));
            }
            if (chain.Any(c => c.FilePath == next.FilePath))
            {
                if (next.FilePath != self.FilePath) return Fail(BaseHasErrors(self, current));
                string cycle = string.Join(" → ", Enumerable.Reverse(chain).Select(c => c.Model ?? Path.GetFileName(c.FilePath)).Append(self.Model ?? ""));
                return Fail(DiagnosticInfo.Create(DiagnosticDescriptors.BaseCycle, self.BaseLocation!, self.Model ?? Path.GetFileName(self.FilePath), cycle));
            }
            chain.Insert(0, next);
            current = next;
        }
        var byPath = files.GroupBy(f => f.Header.FilePath, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var sources = chain.Select(h => byPath[h.FilePath].Source).ToEquatableArray();
        return new SpecChain(self.FilePath, null, sources, null, self.Base, self.BaseLocation);
    }

    /// <summary>Gather and Resolve in one: <paramref name="file"/> against the project's specs <paramref name="files"/>.</summary>
    public static ResolvedSpec Resolve(SpecFile file, ImmutableArray<SpecFile> files) =>
        Resolve(Gather(file, files.Select(f => f.Header).ToImmutableArray(), files));

    public static ResolvedSpec Resolve(SpecChain chain)
    {
        if (chain.Plain is not null) return new ResolvedSpec(chain.Plain, null, null);
        if (chain.Failure is not null)
            return new ResolvedSpec(new ParsedSpec(chain.FilePath, null, new[] { chain.Failure }.ToEquatableArray()), chain.Base, chain.BaseLocation);
        var sources = chain.Chain;
        var self = sources[sources.Count - 1];
        if (sources.Count > 1)
        {
            // The base must stand on its own, shapes included: its problems are its file's to report,
            // and here they are one TS0016 rather than a copy of each.
            var baseSpec = TorchSpecsGenerator.Infer(SpecParser.ParseFamily(sources.Take(sources.Count - 1).ToList()));
            var broken = baseSpec.Diagnostics.FirstOrDefault(d => d.IsError);
            if (broken is not null)
                return new ResolvedSpec(new ParsedSpec(self.FilePath, null, new[]
                {
                    DiagnosticInfo.Create(DiagnosticDescriptors.BaseHasErrors, self.BaseLocation!, self.Base!, Path.GetFileName(broken.Location.FilePath)),
                }.ToEquatableArray()), self.Base, self.BaseLocation);
        }
        return new ResolvedSpec(SpecParser.ParseFamily(sources), self.Base, self.BaseLocation);
    }

    private static DiagnosticInfo BaseHasErrors(SpecHeader self, SpecHeader broken) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.BaseHasErrors, self.BaseLocation!, self.Base!, Path.GetFileName(broken.FilePath));
}
