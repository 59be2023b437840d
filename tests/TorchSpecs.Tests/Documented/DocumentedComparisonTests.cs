namespace TorchSpecs.Tests.Documented;

/// <summary>The comparison itself, on small tables: it finds and names what differs.</summary>
public class DocumentedComparisonTests
{
    private static readonly ModelInfo Tiny = new(
        "Tiny", null, null, "tiny.yaml", new TensorShape(8, 8, 3),
        new LayerInfo[]
        {
            new("conv1", "Conv1", LayerKind.Conv, new TensorShape(8, 8, 3), new TensorShape(8, 8, 4), 112, 0, 0, "relu", "conv",
                new ConvAttributes(4, new(3, 3), new(1, 1), new(1, 1, 1, 1), new(1, 1), 1, true), new(new(3, 1), new(3, 1))),
            new("bn1", "Bn1", LayerKind.BatchNorm, new TensorShape(8, 8, 4), new TensorShape(8, 8, 4), 8, 8, 0, null, "bn",
                new BatchNormAttributes(1e-5, 0.1), LayerWindow.Pointwise),
            new("flatten", "Flatten", LayerKind.Flatten, new TensorShape(8, 8, 4), TensorShape.Flat(256), 0, 0, 0, null, "flatten",
                new FlattenAttributes(), LayerWindow.Pointwise),
            new("fc", "Fc", LayerKind.Dense, TensorShape.Flat(256), TensorShape.Flat(10), 2570, 0, 0, null, "dense",
                new DenseAttributes(10, true), LayerWindow.Everything),
        },
        (_, _) => throw new NotSupportedException());

    private const string Good = """
        # Tiny

        seed: ../shared/seeds/999_tiny.txt

        | layer | kind | output shape | params |
        |---|---|---|---|
        | input_1 (InputLayer) | input | (None, 8, 8, 3) | 0 |
        | conv2d_1 (Conv2D) | conv | (None, 8, 8, 4) | 112 |
        | ReLU() | activation:relu | (None, 8, 8, 4) (derived) | 0 (derived) |
        | batch_normalization_1 (Batch | batchnorm | (None, 8, 8, 4) | 16 |
        | flatten_1 (Flatten) | flatten | (None, 256) | 0 |
        | dense_1 (Dense) | dense | (None, 10) | 2,570 |

        ```
        | not | a | row | here |
        ```

        Total params: 2,698
        Trainable params: 2,690
        Non-trainable params: 8 (derived)
        """;

    private static IReadOnlyList<string> Compare(string text) => DocumentedComparison.Differences(DocumentedTable.Parse(text, "Tiny.md"), Tiny);

    [Fact]
    public void AgreeingTableHasNoDifferencesAndParsesDerivedMarks()
    {
        var table = DocumentedTable.Parse(Good, "Tiny.md");
        Assert.Equal(6, table.Rows.Count);
        Assert.True(table.Rows[2].Output.Derived);
        Assert.False(table.Rows[1].Output.Derived);
        Assert.Equal(new Documented<long>(8, true), table.NonTrainableParams);
        Assert.Empty(Compare(Good));
    }

    [Fact]
    public void ADifferentParameterCountNamesTheRowAndBothValues()
    {
        var differences = Compare(Good.Replace("| 112 |", "| 113 |"));
        Assert.Equal("row 2 'conv2d_1 (Conv2D)' (Tiny.md line 8) vs spec row 1 'conv1': params: documented 113, generated summary 112", Assert.Single(differences));
    }

    [Fact]
    public void ADifferentShapeIsReportedInKerasForm()
    {
        var differences = Compare(Good.Replace("| (None, 256) |", "| (None, 255) |"));
        Assert.Equal("row 5 'flatten_1 (Flatten)' (Tiny.md line 11) vs spec row 3 'flatten': output shape: documented (None, 255), generated summary (None, 256)", Assert.Single(differences));
    }

    [Fact]
    public void ADifferentKindStopsTheComparisonAtThatRow()
    {
        var differences = Compare(Good.Replace("| batchnorm |", "| dropout |"));
        Assert.Equal("row 4 'batch_normalization_1 (Batch' (Tiny.md line 10) vs spec row 2 'bn1': kind: documented dropout, generated summary batchnorm", Assert.Single(differences));
    }

    [Fact]
    public void AMissingRowAndWrongTotalsAreReported()
    {
        var differences = Compare(Good.Replace("| dense_1 (Dense) | dense | (None, 10) | 2,570 |\n", "").Replace("Total params: 2,698", "Total params: 2,699"));
        Assert.Equal(new[]
        {
            "the documented table ends after row 5, the generated summary goes on with 'fc' (dense)",
            "totals: Total params: documented 2,699, generated summary 2,698",
        }, differences);
    }

    [Fact]
    public void ASeparateActivationMatchesOnlyTheActivationTheSpecFolds()
    {
        Assert.Contains("activation: documented tanh, generated summary relu", Assert.Single(Compare(Good.Replace("activation:relu", "activation:tanh"))));
        string twice = Good.Replace("| ReLU() | activation:relu | (None, 8, 8, 4) (derived) | 0 (derived) |",
            "| ReLU() | activation:relu | (None, 8, 8, 4) | 0 |\n| ReLU() | activation:relu | (None, 8, 8, 4) | 0 |");
        Assert.Contains("the fold already matched an earlier documented row", Assert.Single(Compare(twice)));
    }

    [Fact]
    public void TheInputRowIsComparedWithTheModelsInput()
    {
        Assert.Equal("row 1 'input_1 (InputLayer)' (Tiny.md line 7) vs the model's input: output shape: documented (None, 9, 8, 3), generated summary (None, 8, 8, 3)",
            Assert.Single(Compare(Good.Replace("(None, 8, 8, 3)", "(None, 9, 8, 3)"))));
    }

    [Fact]
    public void MalformedTablesAreRejectedWithFileAndLine()
    {
        Assert.Equal("Tiny.md(8): unknown kind 'convolution' (one of input, conv, maxpool, avgpool, adaptive_avgpool, lrn, batchnorm, dropout, flatten, dense, zeropad, resize, activation, global_avgpool, activation:<name>)",
            Assert.Throws<FormatException>(() => DocumentedTable.Parse(Good.Replace("| conv |", "| convolution |"), "Tiny.md")).Message);
        Assert.Equal("Tiny.md(1): no 'seed:' line naming the seed document",
            Assert.Throws<FormatException>(() => DocumentedTable.Parse(Good.Replace("seed:", "seeds"), "Tiny.md")).Message);
    }
}
