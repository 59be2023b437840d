using System.Runtime.CompilerServices;
using TorchSpecs.Models;
using Xunit.Sdk;

namespace TorchSpecs.Tests.Documented;

/// <summary>
/// Every seed model's generated summary agrees, row by row, with the table or summary its seed
/// document printed (transcribed in Documented/Tables/&lt;Model&gt;.md).
/// </summary>
public class DocumentedTableTests
{
    /// <summary>The eight models of the seed documents (issue 5): each must have a transcribed table.</summary>
    public static readonly string[] SeedModels =
    {
        "AlexNetKerasBN", "AlexNetCifar10", "Vgg16Cifar10", "Vgg16BnCifar10",
        "AlexNetTfLrn", "AlexNetTorchLrn", "AlexNetKeras224", "AlexNetFlowers102",
    };

    public static string TablesDirectory { get; } = Path.Combine(SourceDirectory(), "Tables");

    public static TheoryData<string> Tables()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(TablesDirectory, "*.md").Where(f => Path.GetFileName(f) != "README.md").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileNameWithoutExtension(file));
        return data;
    }

    [Theory]
    [MemberData(nameof(Tables))]
    public void GeneratedSummaryAgreesWithTheDocumentedTable(string table)
    {
        var documented = DocumentedTable.Load(Path.Combine(TablesDirectory, table + ".md"));
        Assert.Equal(table, documented.Model);
        var model = ModelLookup.Find(ModelCatalog.All, documented.Model);
        Assert.Equal(model.Name, documented.Model); // exact case: the lookup forgives it, the file name should not

        var differences = DocumentedComparison.Differences(documented, model);
        if (differences.Count > 0)
            throw new XunitException(
                $"{model.Name} ({model.SpecFile}) disagrees with the table of {documented.Seed}:\n"
                + $"  first differing row: {differences[0]}\n"
                + (differences.Count > 1 ? "  and then:\n" + string.Join("\n", differences.Skip(1).Select(d => "    " + d)) + "\n" : ""));
    }

    [Fact]
    public void EverySeedModelHasADocumentedTableNamingItsSeedFile()
    {
        foreach (var name in SeedModels)
        {
            Assert.Contains(ModelCatalog.All, m => m.Name == name);
            string path = Path.Combine(TablesDirectory, name + ".md");
            Assert.True(File.Exists(path), $"{name} has no transcribed table {path}");
            var table = DocumentedTable.Load(path);
            Assert.Matches(@"^\.\./shared/seeds/[0-9]{3}_[0-9a-f]+\.txt$", table.Seed);
        }
    }

    private static string SourceDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
