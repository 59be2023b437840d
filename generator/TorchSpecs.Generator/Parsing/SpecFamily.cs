using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using TorchSpecs.Generator.Diagnostics;
using TorchSpecs.Generator.Model;

namespace TorchSpecs.Generator.Parsing;

/// <summary>
/// One spec file after the per-file step: its header (model, base) and, for a spec that uses no
/// family key, its complete parse. Equatable: the text is a string, the parse plain records.
/// </summary>
internal sealed record SpecFile(SpecSource Source, ParsedSpec? Parsed);

/// <summary>A spec resolved against the project's other specs: its expanded table, and the <c>base:</c> it names.</summary>
internal sealed record ResolvedSpec(ParsedSpec Parsed, string? BaseModel, LocationInfo? BaseLocation);

/// <summary>
/// Resolves <c>base:</c> across files. Per file, <see cref="Read"/> parses what needs no other
/// file; after the headers of all files are collected, <see cref="Resolve"/> follows each
/// spec's chain of bases and expands its table. A spec without family keys passes through
/// unchanged, so its value (and every step after it) stays cached when another file changes.
/// </summary>
internal static class SpecFamily
{
    public static SpecFile Read(string path, string? text)
    {
        var source = SpecParser.ReadHeader(path, text);
        return new SpecFile(source, source.UsesFamilyKeys ? null : SpecParser.Parse(path, text));
    }

    public static ResolvedSpec Resolve(SpecFile file, ImmutableArray<SpecSource> all)
    {
        if (file.Parsed is not null) return new ResolvedSpec(file.Parsed, null, null);
        var self = file.Source;
        var chain = new List<SpecSource> { self };
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
                    return Fail(self, DiagnosticInfo.Create(DiagnosticDescriptors.UnknownBase, self.BaseLocation!, wanted, SpecParser.DidYouMean(wanted, models)));
                }
                return Fail(self, BaseHasErrors(self, current));
            }
            if (chain.Any(c => c.FilePath == next.FilePath))
            {
                if (next.FilePath != self.FilePath) return Fail(self, BaseHasErrors(self, current));
                string cycle = string.Join(" → ", Enumerable.Reverse(chain).Select(c => c.Model ?? Path.GetFileName(c.FilePath)).Append(self.Model ?? ""));
                return Fail(self, DiagnosticInfo.Create(DiagnosticDescriptors.BaseCycle, self.BaseLocation!, self.Model ?? Path.GetFileName(self.FilePath), cycle));
            }
            chain.Insert(0, next);
            current = next;
        }
        if (chain.Count > 1)
        {
            // The base must stand on its own, shapes included: its problems are its file's to report,
            // and here they are one TS0016 rather than a copy of each.
            var baseSpec = TorchSpecsGenerator.Infer(SpecParser.ParseFamily(chain.Take(chain.Count - 1).ToList()));
            var broken = baseSpec.Diagnostics.FirstOrDefault(d => d.IsError);
            if (broken is not null)
                return Fail(self, DiagnosticInfo.Create(DiagnosticDescriptors.BaseHasErrors, self.BaseLocation!, self.Base!, Path.GetFileName(broken.Location.FilePath)));
        }
        return new ResolvedSpec(SpecParser.ParseFamily(chain), self.Base, self.BaseLocation);
    }

    private static DiagnosticInfo BaseHasErrors(SpecSource self, SpecSource broken) =>
        DiagnosticInfo.Create(DiagnosticDescriptors.BaseHasErrors, self.BaseLocation!, self.Base!, Path.GetFileName(broken.FilePath));

    private static ResolvedSpec Fail(SpecSource self, DiagnosticInfo diagnostic) =>
        new(new ParsedSpec(self.FilePath, null, new[] { diagnostic }.ToEquatableArray()), self.Base, self.BaseLocation);
}
