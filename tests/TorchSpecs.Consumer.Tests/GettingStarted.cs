using System.Text.RegularExpressions;

namespace TorchSpecs.Consumer.Tests;

/// <summary>docs/getting-started.md, read as the consumer tests run it.</summary>
internal static class GettingStarted
{
    public const string DocPath = "docs/getting-started.md";

    /// <summary>The documented way to get the packages; the tests run it as --no-build (PackedFeed).</summary>
    public static readonly string[] PackBlock =
    {
        "git clone https://github.com/torchspecs/torchspecs.git",
        "dotnet pack torchspecs/Generated.sln -c Release -o packages",
    };

    public static string Text => Repo.Read(DocPath);

    public static IReadOnlyList<Markdown.Block> Blocks => Markdown.Blocks(Text);

    /// <summary>The blocks of sections 1 and 2: from an empty folder to `dotnet run`.</summary>
    public static IReadOnlyList<Markdown.Block> Walkthrough
    {
        get
        {
            string text = Text;
            int end = text.IndexOf("\n## 3.", StringComparison.Ordinal);
            Assert.True(end > 0, $"{DocPath} has no section 3");
            return Blocks.Where(b => b.Offset < end).ToList();
        }
    }

    public static Markdown.Block File(string path) => Blocks.Single(b => b.File == path);

    /// <summary>What `dotnet run` prints, as the doc shows it (the text block after the last sh block).</summary>
    public static IReadOnlyList<string> ExpectedOutput =>
        Walkthrough.SkipWhile(b => b.Text.Trim() != "dotnet run").First(b => b.Language == "text").Text.TrimEnd('\n').Split('\n');

    /// <summary>
    /// The bash script of the walkthrough: its commands verbatim, and its files written where the
    /// doc says, in the doc's order. The pack block (checked to be <see cref="PackBlock"/>) is
    /// left out: PackedFeed ran it.
    /// </summary>
    public static string Script(string work)
    {
        var script = new System.Text.StringBuilder();
        script.Append("cd ").Append(Shell.Quote(work)).Append('\n');
        bool packBlockSeen = false;
        foreach (var block in Walkthrough)
        {
            if (block.File is not null)
            {
                string path = Path.Combine(work, block.File);
                script.Append("mkdir -p ").Append(Shell.Quote(Path.GetDirectoryName(path)!)).Append('\n')
                      .Append("cat > ").Append(Shell.Quote(path)).Append(" <<'TORCHSPECS_EOF'\n").Append(block.Text).Append("TORCHSPECS_EOF\n");
            }
            else if (block.Language == "sh")
            {
                var lines = block.Text.TrimEnd('\n').Split('\n');
                if (lines.Any(l => l.StartsWith("git clone", StringComparison.Ordinal)))
                {
                    Assert.Equal(PackBlock, lines);
                    packBlockSeen = true;
                    continue;
                }
                foreach (string line in lines)
                    script.Append("echo '+ ").Append(line.Replace("'", "", StringComparison.Ordinal)).Append("'\n").Append(line).Append('\n');
            }
        }
        Assert.True(packBlockSeen, $"{DocPath} has no pack block");
        return script.ToString();
    }

    /// <summary>
    /// Every line the doc shows appears in the output, in order; "x.xxx" in the doc stands for a
    /// number with three decimals.
    /// </summary>
    public static void AssertOutputMatches(IReadOnlyList<string> expected, string output)
    {
        var lines = output.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        int at = 0;
        foreach (string line in expected)
        {
            var pattern = new Regex("^" + Regex.Escape(line).Replace("x\\.xxx", @"\d+\.\d{3}", StringComparison.Ordinal) + "$");
            while (at < lines.Length && !pattern.IsMatch(lines[at])) at++;
            Assert.True(at < lines.Length, $"the documented line \"{line}\" is not in the output (in order):\n{output}");
            at++;
        }
    }

    /// <summary>The repository's JSON Schema, which the TorchSpecs package ships.</summary>
    public const string SchemaPath = "schema/torchspecs.schema.json";

    /// <summary>
    /// The spec's first line is the yaml-language-server modeline, and the file it names (relative
    /// to the spec) is the repository's schema, byte for byte: the package's build copied it there.
    /// </summary>
    public static void AssertModelineFindsTheSchema(string specPath)
    {
        const string prefix = "# yaml-language-server: $schema=";
        string first = System.IO.File.ReadLines(specPath).First();
        Assert.True(first.StartsWith(prefix, StringComparison.Ordinal), $"{specPath} starts with \"{first}\", not the schema modeline");
        string schema = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(specPath)!, first[prefix.Length..]));
        Assert.True(System.IO.File.Exists(schema), $"{specPath}: the modeline names {schema}, which does not exist");
        Assert.True(System.IO.File.ReadAllBytes(schema).AsSpan().SequenceEqual(System.IO.File.ReadAllBytes(Repo.PathOf(SchemaPath))), $"{schema} differs from {SchemaPath}");
    }

    /// <summary>The test accuracy the program printed.</summary>
    public static double TestAccuracy(string output)
    {
        var match = Regex.Match(output, @"^test accuracy: (\d+\.\d+)$", RegexOptions.Multiline);
        Assert.True(match.Success, output);
        return double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }
}
