using TorchSharp;
using TorchSpecs.Models;

namespace TorchSpecs.Tests.Models;

/// <summary>The eight seed models: the documents' totals, and the live modules agree with the specs.</summary>
public class SeedModelTests
{
    public static TheoryData<string, long, long, long> SeedTotals => new()
    {
        { "AlexNetKerasBN", 62_380_776, 62_379_560, 1_216 },
        { "AlexNetCifar10", 37_320_970, 37_319_754, 1_216 },
        { "Vgg16Cifar10", 33_638_218, 33_638_218, 0 },
        { "Vgg16BnCifar10", 33_655_114, 33_646_666, 8_448 },
        { "AlexNetTfLrn", 58_322_314, 58_322_314, 0 },
        { "AlexNetTorchLrn", 62_378_344, 62_378_344, 0 },
        { "AlexNetKeras224", 50_845_416, 50_844_712, 704 },
        { "AlexNetFlowers102", 58_699_238, 58_699_238, 0 },
    };

    [Theory]
    [MemberData(nameof(SeedTotals))]
    public void StaticTotalsEqualTheDocumentedOnes(string name, long total, long trainable, long nonTrainable)
    {
        var model = ModelLookup.Find(ModelCatalog.All, name);
        Assert.Equal(name, model.Name);
        Assert.Equal((total, trainable, nonTrainable), (model.TotalParams, model.TrainableParams, model.NonTrainableParams));

        string summary = ModelSummary.Format(model);
        var lastLines = summary.TrimEnd('\n').Split('\n')[^3..];
        Assert.Equal(new[]
        {
            $"Total params: {total:N0}",
            $"Trainable params: {trainable:N0}",
            $"Non-trainable params: {nonTrainable:N0}",
        }, lastLines);
    }

    [Theory]
    [MemberData(nameof(SeedTotals))]
    public void LiveModuleMatchesItsSpecLayerByLayer(string name, long total, long trainable, long nonTrainable)
    {
        var model = ModelLookup.Find(ModelCatalog.All, name);
        var report = ModelCheck.Run(model, batch: 1);

        Assert.True(report.Passed, string.Join("\n", report.Problems));
        Assert.Equal(trainable, report.ParametersElementCount);
        Assert.Equal(model.Layers.Select(l => (l.Name, l.Output)), report.Layers.Select(l => (l.Name, l.Output)));
        Assert.Equal(total, report.Layers.Sum(l => l.TrainableParams + l.NonTrainableParams));
        Assert.Equal(nonTrainable, report.Layers.Sum(l => l.NonTrainableParams));
    }

    [Fact]
    public void CatalogHoldsEverySeedModelOnceInNameOrder()
    {
        var names = ModelCatalog.All.Select(m => m.Name).ToList();
        Assert.Equal(names.OrderBy(n => n, StringComparer.Ordinal), names);
        Assert.Equal(names.Count, names.Distinct().Count());
        foreach (var seed in SeedTotals) Assert.Contains((string)seed[0], names);
    }

    [Fact]
    public void ForwardReturnsLogitsAndPredictReturnsProbabilities()
    {
        using var scope = torch.NewDisposeScope();
        using var model = new AlexNetCifar10();
        model.eval();
        using var x = torch.randn(3, 3, 32, 32);
        var logits = model.call(x);
        var probabilities = model.Predict(x);
        Assert.Equal(new long[] { 3, 10 }, logits.shape);
        Assert.True(torch.allclose(probabilities.sum(1), torch.ones(3), rtol: 1e-5, atol: 1e-5));
        Assert.True(torch.allclose(probabilities, logits.softmax(1), rtol: 1e-5, atol: 1e-6));
        Assert.True(logits.min().item<float>() < 0 || logits.max().item<float>() > 1, "forward should not apply the final softmax");
    }

    [Fact]
    public void InitializersFollowTheSpec()
    {
        using var model = new AlexNetTorchLrn();
        // conv2, conv4, conv5 biases 1; conv1, conv3 biases 0; weights N(0, 0.01).
        Assert.Equal(1f, model.Conv2.bias!.mean().item<float>());
        Assert.Equal(1f, model.Conv4.bias!.mean().item<float>());
        Assert.Equal(0f, model.Conv3.bias!.abs().max().item<float>());
        double std = model.Conv3.weight!.std().item<float>();
        Assert.InRange(std, 0.0095, 0.0105);

        using var keras = new AlexNetKerasBN();
        // truncated normal: nothing beyond two standard deviations, and spread as a normal cut there
        // (std 0.88 of the untruncated one); TorchSharp's own trunc_normal_ made every value 0.01.
        var fc6 = keras.Fc6.weight!;
        Assert.True(fc6.abs().max().item<float>() <= 0.02f + 1e-6f);
        Assert.InRange(fc6.std().item<float>(), 0.0086, 0.0090);
        Assert.InRange(fc6.mean().item<float>(), -2e-4, 2e-4);
        Assert.True(fc6.min().item<float>() < -0.019f && fc6.max().item<float>() > 0.019f);
        Assert.Equal(1f, keras.Fc6.bias!.mean().item<float>());
    }

    [Fact]
    public void TruncatedNormalHasTheMeanSpreadAndBoundsOfANormalCutAtTheBounds()
    {
        torch.manual_seed(3);
        using var t = torch.empty(200_000);
        TorchSpecs.Initializers.TruncatedNormal_(t, 3.0, 2.0, 1.0, 5.0);
        // A normal N(3, 2) cut at one standard deviation each side: mean 3, std 2 * 0.5396 = 1.0791.
        Assert.InRange(t.mean().item<float>(), 2.99, 3.01);
        Assert.InRange(t.std().item<float>(), 1.069, 1.089);
        Assert.True(t.min().item<float>() >= 1f && t.max().item<float>() <= 5f);
        Assert.True(t.min().item<float>() < 1.01f && t.max().item<float>() > 4.99f);
        Assert.Throws<ArgumentOutOfRangeException>(() => TorchSpecs.Initializers.TruncatedNormal_(t, 0, 0, -1, 1));
    }

    [Fact]
    public void StateDictKeysAreTheRowNames()
    {
        using var model = new Vgg16Cifar10();
        var keys = model.state_dict().Keys.ToList();
        Assert.Contains("block1_conv1.weight", keys);
        Assert.Contains("predictions.bias", keys);
        Assert.DoesNotContain(keys, k => k.Contains("BackingField", StringComparison.Ordinal));
    }
}
