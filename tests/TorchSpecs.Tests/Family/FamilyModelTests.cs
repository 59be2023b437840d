using TorchSpecs.Models;

namespace TorchSpecs.Tests.Family;

/// <summary>
/// The AlexNet and VGG family as compiled from specs/: published parameter counts, counts derived
/// from first principles (torchvision's cfg lists, the AlexNet paper's layers), and each expanded
/// table against the table those lists give.
/// </summary>
public class FamilyModelTests
{
    private static ModelInfo Model(string name) => ModelCatalog.All.Single(m => m.Name == name);

    [Theory]
    // torchvision's documentation (weights' num_params).
    [InlineData("AlexNet", 61_100_840)]
    [InlineData("Vgg11", 132_863_336)]
    [InlineData("Vgg11Bn", 132_868_840)]
    [InlineData("Vgg13", 133_047_848)]
    [InlineData("Vgg13Bn", 133_053_736)]
    [InlineData("Vgg16", 138_357_544)]
    [InlineData("Vgg16Bn", 138_365_992)]
    [InlineData("Vgg19", 143_667_240)]
    [InlineData("Vgg19Bn", 143_678_248)]
    // Keras Applications' documentation.
    [InlineData("Vgg16Keras", 138_357_544)]
    [InlineData("Vgg19Keras", 143_667_240)]
    public void TrainableParametersEqualThePublishedCounts(string model, long published)
    {
        Assert.Equal(published, Model(model).TrainableParams);
    }

    [Fact]
    public void SummaryOfVgg19BnPrintsTorchvisionsCount()
    {
        Assert.Contains("\nTrainable params: 143,678,248\n", ModelSummary.Format(Model("Vgg19Bn")));
    }

    // torchvision's cfgs (vgg.py), with C's 1x1 convs written as "1:n" (Table 1 of the paper).
    private static readonly Dictionary<string, string[]> Configurations = new()
    {
        ["A"] = "64 M 128 M 256 256 M 512 512 M 512 512 M".Split(' '),
        ["B"] = "64 64 M 128 128 M 256 256 M 512 512 M 512 512 M".Split(' '),
        ["C"] = "64 64 M 128 128 M 256 256 1:256 M 512 512 1:512 M 512 512 1:512 M".Split(' '),
        ["D"] = "64 64 M 128 128 M 256 256 256 M 512 512 512 M 512 512 512 M".Split(' '),
        ["E"] = "64 64 M 128 128 M 256 256 256 256 M 512 512 512 512 M 512 512 512 512 M".Split(' '),
    };

    /// <summary>The table a cfg list gives: (name, output, trainable parameters) per row, torchvision's classifier.</summary>
    private static List<(string Name, string Output, long Params)> VggTable(string config, bool batchNorm, bool lrn = false, bool keras = false)
    {
        var rows = new List<(string, string, long)>();
        long channels = 3, size = 224;
        int block = 1, index = 1;
        foreach (var item in Configurations[config])
        {
            if (item == "M")
            {
                size /= 2;
                rows.Add((keras ? $"block{block}_pool" : $"pool{block}", $"{size}x{size}x{channels}", 0));
                block++;
                index = 1;
                continue;
            }
            int kernel = item.StartsWith("1:", StringComparison.Ordinal) ? 1 : 3;
            long filters = long.Parse(item.Substring(item.IndexOf(':') + 1));
            string map = $"{size}x{size}x{filters}";
            rows.Add((keras ? $"block{block}_conv{index}" : $"conv{block}_{index}", map, kernel * kernel * channels * filters + filters));
            if (batchNorm) rows.Add(($"bn{block}_{index}", map, 2 * filters));
            if (lrn && block == 1 && index == 1) rows.Add(("lrn1", map, 0));
            channels = filters;
            index++;
        }
        if (keras)
        {
            rows.Add(("flatten", "25088", 0));
            rows.Add(("fc1", "4096", 25088L * 4096 + 4096));
            rows.Add(("fc2", "4096", 4096L * 4096 + 4096));
            rows.Add(("predictions", "1000", 4096L * 1000 + 1000));
            return rows;
        }
        rows.Add(("avgpool", "7x7x512", 0));
        rows.Add(("flatten", "25088", 0));
        rows.Add(("fc6", "4096", 25088L * 4096 + 4096));
        rows.Add(("drop6", "4096", 0));
        rows.Add(("fc7", "4096", 4096L * 4096 + 4096));
        rows.Add(("drop7", "4096", 0));
        rows.Add(("fc8", "1000", 4096L * 1000 + 1000));
        return rows;
    }

    [Theory]
    [InlineData("Vgg11", "A", false, false, false)]
    [InlineData("Vgg11Lrn", "A", false, true, false)]
    [InlineData("Vgg13", "B", false, false, false)]
    [InlineData("Vgg16C", "C", false, false, false)]
    [InlineData("Vgg16", "D", false, false, false)]
    [InlineData("Vgg19", "E", false, false, false)]
    [InlineData("Vgg11Bn", "A", true, false, false)]
    [InlineData("Vgg13Bn", "B", true, false, false)]
    [InlineData("Vgg16Bn", "D", true, false, false)]
    [InlineData("Vgg19Bn", "E", true, false, false)]
    [InlineData("Vgg16Keras", "D", false, false, true)]
    [InlineData("Vgg19Keras", "E", false, false, true)]
    public void EachVggSpecExpandsToTheTableOfItsConfiguration(string model, string config, bool batchNorm, bool lrn, bool keras)
    {
        var expected = VggTable(config, batchNorm, lrn, keras);
        var info = Model(model);
        Assert.Equal(expected.Select(r => (r.Name, r.Output)), info.Layers.Select(l => (l.Name, l.Output.ToString())));
        Assert.Equal(expected.Select(r => r.Params), info.Layers.Select(l => l.TrainableParams));
        Assert.Equal(expected.Sum(r => r.Params), info.TrainableParams);
        // Batch norm keeps 2 running values per channel, which Keras counts as non-trainable.
        Assert.Equal(batchNorm ? expected.Where(r => r.Name.StartsWith("bn", StringComparison.Ordinal)).Sum(r => r.Params) : 0, info.NonTrainableParams);
    }

    [Fact]
    public void DerivedCountsMatchTheirDifferencesFromTheBase()
    {
        // A-LRN adds no parameters; C adds three 1x1 convs to B; the BN variants add 2 per conv channel.
        Assert.Equal(132_863_336, Model("Vgg11Lrn").TrainableParams);
        Assert.Equal(133_047_848 + (256 * 256 + 256) + 2 * (512 * 512 + 512), Model("Vgg16C").TrainableParams);
        Assert.Equal(133_638_952, Model("Vgg16C").TrainableParams);
        Assert.Equal(Model("Vgg16").TrainableParams + 2 * (2 * 64 + 2 * 128 + 3 * 256 + 6 * 512), Model("Vgg16Bn").TrainableParams);
    }

    [Fact]
    public void TheGroupedAlexNetCountsAsThePaperDescribesIt()
    {
        // Two GPUs: conv2, conv4 and conv5 see only their GPU's half of the input maps.
        long Conv(long k, long inChannels, long filters, long groups) => k * k * (inChannels / groups) * filters + filters;
        long expected = Conv(11, 3, 96, 1) + Conv(5, 96, 256, 2) + Conv(3, 256, 384, 1) + Conv(3, 384, 384, 2) + Conv(3, 384, 256, 2)
                        + (9216L * 4096 + 4096) + (4096L * 4096 + 4096) + (4096L * 1000 + 1000);
        Assert.Equal(60_965_224, expected); // the count usually quoted for Caffe's bvlc_alexnet
        var info = Model("AlexNetPaper");
        Assert.Equal(expected, info.TrainableParams);
        Assert.Equal(new[] { "55x55x96", "55x55x96", "27x27x96", "27x27x256", "27x27x256", "13x13x256", "13x13x384", "13x13x384", "13x13x256", "6x6x256" },
            info.Layers.Take(10).Select(l => l.Output.ToString()));
        Assert.Contains("groups 2", info.Layers.Single(l => l.Name == "conv2").Description);
    }

    [Fact]
    public void TorchvisionAlexNetCountsFromItsLayers()
    {
        long Conv(long k, long inChannels, long filters) => k * k * inChannels * filters + filters;
        long expected = Conv(11, 3, 64) + Conv(5, 64, 192) + Conv(3, 192, 384) + Conv(3, 384, 256) + Conv(3, 256, 256)
                        + (9216L * 4096 + 4096) + (4096L * 4096 + 4096) + (4096L * 1000 + 1000);
        Assert.Equal(expected, Model("AlexNet").TrainableParams);
        Assert.Equal(new[] { "features.0", "features.3", "features.6", "features.8", "features.10", "classifier.1", "classifier.4", "classifier.6" },
            Model("AlexNet").Layers.Where(l => l.TorchName is not null).Select(l => l.TorchName!));
    }

    [Fact]
    public void TheRewrittenSeedKeepsItsTable()
    {
        // Vgg16BnCifar10 is now Vgg16Cifar10 + batchnorm: after_activation; its rows are those of the
        // table it used to write out: every conv followed by blockN_bnM with the conv's output.
        var plain = Model("Vgg16Cifar10");
        var bn = Model("Vgg16BnCifar10");
        var expected = new List<(string, string)>();
        foreach (var layer in plain.Layers)
        {
            expected.Add((layer.Name, layer.Output.ToString()));
            if (layer.Kind == LayerKind.Conv) expected.Add((layer.Name.Replace("conv", "bn"), layer.Output.ToString()));
        }
        Assert.Equal(expected, bn.Layers.Select(l => (l.Name, l.Output.ToString())));
        Assert.Equal(33_655_114, bn.TotalParams);
        Assert.All(bn.Layers.Where(l => l.Kind == LayerKind.Conv), l => Assert.Equal("relu", l.Activation));
    }

    /// <summary>The family's specs are written as differences: together far shorter than their tables in full.</summary>
    [Fact]
    public void TheVggSpecsAreShorterThanTheirTablesWrittenOut()
    {
        string dir = Path.Combine(RepoRoot(), "specs", "vgg");
        var files = Directory.GetFiles(dir, "*.yaml");
        int written = files.Sum(f => File.ReadAllLines(f).Count(l => l.TrimStart().StartsWith("- {", StringComparison.Ordinal)));
        int expanded = ModelCatalog.All.Where(m => m.SpecFile.StartsWith("vgg/", StringComparison.Ordinal)).Sum(m => m.Layers.Count);
        Assert.Equal(13, files.Length);
        Assert.True(written * 4 < expanded, $"{written} rows written for {expanded} rows of tables");
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Generated.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Generated.sln not found above " + AppContext.BaseDirectory);
    }
}
