using System.Text.Json;
using TorchSpecs.Models;
using TorchSpecs.Tests.Snapshots;

namespace TorchSpecs.Tests.Inspection;

/// <summary>
/// The designer's figures (issue: summary --details / --json), computed from the spec alone and
/// held against published anchors: torchvision's documented GFLOPS (which are multiply-adds) and
/// receptive fields by the standard arithmetic.
/// </summary>
public class ModelStatisticsTests
{
    private static ModelInfo Model(string name) => ModelCatalog.All.Single(m => m.Name == name);

    [Theory]
    [InlineData("AlexNet", 0.714)]
    [InlineData("Vgg11", 7.609)]
    [InlineData("Vgg13", 11.308)]
    [InlineData("Vgg16", 15.47)]
    [InlineData("Vgg19", 19.632)]
    public void MultiplyAddsEqualTorchvisionsDocumentedGflops(string model, double gflops)
    {
        var totals = ModelStatistics.Totals(Model(model));
        Assert.Equal(gflops, Math.Round(totals.MultAdds / 1e9, 3));
    }

    [Theory]
    [InlineData("AlexNet", "pool5", 195, 32)]
    [InlineData("Vgg16", "pool5", 212, 32)]
    [InlineData("Vgg16", "conv1_1", 3, 1)]
    [InlineData("Vgg16", "conv1_2", 5, 1)]
    [InlineData("Vgg16", "pool1", 6, 2)]
    public void ReceptiveFieldsFollowTheStandardArithmetic(string model, string row, double field, double jump)
    {
        var geometry = ModelStatistics.Geometry(Model(model)).Single(g => g.Layer.Name == row);
        Assert.Equal(new Extent2D(field, field), geometry.ReceptiveField);
        Assert.Equal(new Extent2D(jump, jump), geometry.Jump);
    }

    // The windows below are what the generator's kind definitions give such rows (Kinds/ReceptiveFieldTests).

    [Fact]
    public void AWiderWindowWidensTheFieldAndADenseRowSeesTheWholeInput()
    {
        var model = Tiny(
            Row("conv", LayerKind.Conv, new TensorShape(32, 16, 3), new TensorShape(28, 12, 8),
                new ConvAttributes(8, new(3, 3), new(1, 1), default, new(2, 2), 1, true), Square(5, 1)),
            Row("pool", LayerKind.MaxPool, new TensorShape(28, 12, 8), new TensorShape(14, 6, 8),
                new PoolAttributes(new(2, 2), new(2, 2), default, new(1, 1), false, false), Square(2, 2)),
            Row("flatten", LayerKind.Flatten, new TensorShape(14, 6, 8), TensorShape.Flat(672), new FlattenAttributes(), LayerWindow.Pointwise),
            Row("fc", LayerKind.Dense, TensorShape.Flat(672), TensorShape.Flat(10), new DenseAttributes(10, true), LayerWindow.Everything));

        var rows = ModelStatistics.Geometry(model);
        // A dilated 3x3 kernel spans 5 pixels; the 2x2 pool adds (2 - 1)·1.
        Assert.Equal(new Extent2D(5, 5), rows[0].ReceptiveField);
        Assert.Equal(new Extent2D(6, 6), rows[1].ReceptiveField);
        Assert.Equal(new Extent2D(2, 2), rows[1].Jump);
        Assert.Equal(rows[1], rows[2] with { Layer = rows[1].Layer });
        Assert.Equal(new Extent2D(32, 16), rows[3].ReceptiveField);
        Assert.Null(rows[3].Jump);
    }

    [Fact]
    public void FractionalStridesScaleTheJump()
    {
        var model = Tiny(
            Row("up", LayerKind.Resize, new TensorShape(8, 8, 3), new TensorShape(32, 32, 3), new ResizeAttributes(new(32, 32)), Square(2, 0.25)),
            Row("conv", LayerKind.Conv, new TensorShape(32, 32, 3), new TensorShape(32, 32, 4),
                new ConvAttributes(4, new(3, 3), new(1, 1), new(1, 1, 1, 1), new(1, 1), 1, true), Square(3, 1)),
            Row("gap", LayerKind.AdaptiveAvgPool, new TensorShape(32, 32, 4), new TensorShape(2, 2, 4), new AdaptiveAvgPoolAttributes(new(2, 2)), Square(16, 16)));

        var rows = ModelStatistics.Geometry(model);
        Assert.Equal(new Extent2D(2, 2), rows[0].ReceptiveField);
        Assert.Equal(new Extent2D(0.25, 0.25), rows[0].Jump);
        Assert.Equal(new Extent2D(2.5, 2.5), rows[1].ReceptiveField);
        // A 16x16 window of stride 16 on a grid of quarter pixels.
        Assert.Equal(new Extent2D(6.25, 6.25), rows[2].ReceptiveField);
        Assert.Equal(new Extent2D(4, 4), rows[2].Jump);
    }

    [Fact]
    public void AGlobalAveragePoolSeesTheWholeFeatureMap()
    {
        var model = Tiny(
            Row("conv", LayerKind.Conv, new TensorShape(8, 8, 3), new TensorShape(4, 4, 16),
                new ConvAttributes(16, new(3, 3), new(2, 2), new(1, 1, 1, 1), new(1, 1), 1, true), Square(3, 2)),
            Row("gap", LayerKind.GlobalAvgPool, new TensorShape(4, 4, 16), TensorShape.Flat(16), new GlobalAvgPoolAttributes(), Square(4, 4)));

        var gap = ModelStatistics.Geometry(model)[1];
        // 3 + (4 - 1)·2: the four positions two pixels apart, each seeing 3 pixels.
        Assert.Equal(new Extent2D(9, 9), gap.ReceptiveField);
        Assert.Equal(new Extent2D(8, 8), gap.Jump);
    }

    [Fact]
    public void EveryGeneratedRowCarriesItsKindsWindow()
    {
        // The seed models as generated: a conv or pool row's window is its kernel widened by its
        // dilation, at its stride; a dense row sees everything; LRN, batch norm, dropout, flatten
        // and activation rows are pointwise.
        foreach (var layer in ModelCatalog.All.SelectMany(m => m.Layers))
        {
            var expected = layer.Attributes switch
            {
                ConvAttributes c => Sliding(c.Kernel, c.Stride, c.Dilation),
                PoolAttributes p => Sliding(p.Kernel, p.Stride, p.Dilation),
                DenseAttributes => LayerWindow.Everything,
                LrnAttributes or BatchNormAttributes or DropoutAttributes or FlattenAttributes or ActivationAttributes or ZeroPadAttributes => LayerWindow.Pointwise,
                _ => layer.Window,
            };
            Assert.True(expected == layer.Window, $"{layer.Name} ({layer.TypeName}): {layer.Window}, expected {expected}");
        }
    }

    private static LayerWindow Sliding(Size2D kernel, Size2D stride, Size2D dilation) =>
        new(new((double)dilation.Height * (kernel.Height - 1) + 1, stride.Height), new((double)dilation.Width * (kernel.Width - 1) + 1, stride.Width));

    private static LayerWindow Square(double kernel, double stride) => new(new(kernel, stride), new(kernel, stride));

    [Fact]
    public void TotalsCountBytesOfFloat32AndScaleWithTheBatch()
    {
        var model = Model("Vgg11Bn");
        var one = ModelStatistics.Totals(model);
        var eight = ModelStatistics.Totals(model, batch: 8);

        Assert.Equal(model.TotalParams * 4, one.ParamsBytes);
        Assert.Equal(224L * 224 * 3 * 4, one.InputBytes);
        Assert.Equal(2 * model.Layers.Sum(l => l.Output.Elements) * 4, one.ForwardBackwardBytes);
        Assert.Equal(one.ParamsBytes, eight.ParamsBytes);
        Assert.Equal(8 * one.InputBytes, eight.InputBytes);
        Assert.Equal(8 * one.ForwardBackwardBytes, eight.ForwardBackwardBytes);
        Assert.Equal(8 * one.MultAdds, eight.MultAdds);
        Assert.Equal(one.InputBytes + one.ForwardBackwardBytes + one.ParamsBytes, one.TotalBytes);
        Assert.True(one.NonTrainableParams > 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModelStatistics.Totals(model, 0));
    }

    [Fact]
    public void JsonHoldsTheExpandedTableWithEveryRowsKeysAndTheTotals()
    {
        var model = Model("AlexNet");
        using var json = JsonDocument.Parse(ModelSummary.ToJson(model, batch: 2));
        var root = json.RootElement;

        Assert.Equal("AlexNet", root.GetProperty("model").GetString());
        Assert.Equal(new long[] { 224, 224, 3 }, Longs(root.GetProperty("input")));
        Assert.Equal(new long[] { 1000 }, Longs(root.GetProperty("output")));
        var totals = root.GetProperty("totals");
        Assert.Equal(model.TotalParams, totals.GetProperty("params").GetInt64());
        Assert.Equal(model.TrainableParams, totals.GetProperty("trainable_params").GetInt64());
        Assert.Equal(0, totals.GetProperty("non_trainable_params").GetInt64());
        Assert.Equal(2 * model.MultiplyAdds, totals.GetProperty("mult_adds").GetInt64());
        Assert.Equal(2L * 224 * 224 * 3 * 4, totals.GetProperty("input_bytes").GetInt64());
        Assert.Equal(model.TotalParams * 4, totals.GetProperty("params_bytes").GetInt64());
        Assert.True(totals.GetProperty("forward_backward_bytes").GetInt64() > 0);

        var layers = root.GetProperty("layers").EnumerateArray().ToList();
        Assert.Equal(model.Layers.Select(l => l.Name), layers.Select(l => l.GetProperty("name").GetString()));
        var conv1 = layers[0];
        Assert.Equal("conv", conv1.GetProperty("type").GetString());
        Assert.Equal("features.0", conv1.GetProperty("torch_name").GetString());
        Assert.Equal(new long[] { 55, 55, 64 }, Longs(conv1.GetProperty("output")));
        Assert.Equal(new long[] { 11, 11 }, Longs(conv1.GetProperty("kernel")));
        Assert.Equal(new long[] { 4, 4 }, Longs(conv1.GetProperty("stride")));
        Assert.Equal(new long[] { 2, 2, 2, 2 }, Longs(conv1.GetProperty("padding")));
        Assert.Equal(64, conv1.GetProperty("filters").GetInt32());
        Assert.Equal("relu", conv1.GetProperty("activation").GetString());
        Assert.Equal(new long[] { 11, 11 }, Longs(conv1.GetProperty("receptive_field")));
        Assert.Equal(new long[] { 4, 4 }, Longs(conv1.GetProperty("jump")));
        var pool5 = layers.Single(l => l.GetProperty("name").GetString() == "pool5");
        Assert.Equal(new long[] { 195, 195 }, Longs(pool5.GetProperty("receptive_field")));
        var drop6 = layers.Single(l => l.GetProperty("name").GetString() == "drop6");
        Assert.Equal(0.5, drop6.GetProperty("rate").GetDouble());
        Assert.Equal(JsonValueKind.Null, drop6.GetProperty("torch_name").ValueKind);
        var fc8 = layers[^1];
        Assert.Equal(1000, fc8.GetProperty("units").GetInt32());
        Assert.Equal(JsonValueKind.Null, fc8.GetProperty("jump").ValueKind);
    }

    [Fact]
    public void JsonWritesLrnInPyTorchsConventionAndKeepsTensorFlowsDepthRadius()
    {
        using var json = JsonDocument.Parse(ModelSummary.ToJson(Model("AlexNetFlowers102")));
        var lrn = json.RootElement.GetProperty("layers").EnumerateArray().First(l => l.GetProperty("type").GetString() == "lrn");
        Assert.Equal(5, lrn.GetProperty("depth_radius").GetInt32());
        Assert.Equal(11, lrn.GetProperty("size").GetInt32());
        Assert.Equal(11.0, lrn.GetProperty("alpha").GetDouble());
    }

    [Theory]
    [InlineData("AlexNet")]
    [InlineData("Vgg11Bn")]
    [InlineData("AlexNetFlowers102")]
    public void DetailedSummary(string model) => Snapshot.Verify(ModelSummary.FormatDetails(Model(model)), model);

    private static long[] Longs(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt64()).ToArray();

    private static LayerInfo Row(string name, LayerKind kind, TensorShape input, TensorShape output, LayerAttributes attributes, LayerWindow window) =>
        new(name, name, kind, input, output, 0, 0, 0, null, name, attributes, window);

    private static ModelInfo Tiny(params LayerInfo[] layers) =>
        new("Tiny", null, null, "tiny.yaml", layers[0].Input, layers, (_, _) => throw new NotSupportedException());
}
