using TorchSpecs.Metrics;

namespace TorchSpecs.Tests.Training;

public class ConfusionMatrixTests
{
    // truth:     0 0 0 1 1 2 2 2 2
    // predicted: 0 1 0 1 2 2 2 0 2
    private static ConfusionMatrix Example() => ConfusionMatrix.From(new[] { "cat", "dog", "bird" },
        new long[] { 0, 0, 0, 1, 1, 2, 2, 2, 2 }, new long[] { 0, 1, 0, 1, 2, 2, 2, 0, 2 });

    [Fact]
    public void Counts_match_the_hand_computed_matrix()
    {
        var m = Example();
        long[,] expected = { { 2, 1, 0 }, { 0, 1, 1 }, { 1, 0, 3 } };
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(expected[i, j], m[i, j]);
        Assert.Equal(9, m.Total);
        Assert.Equal(6.0 / 9, m.Accuracy, 12);
    }

    [Fact]
    public void Precision_recall_f1_and_support_match_hand_computation()
    {
        var m = Example();
        // cat: tp 2, predicted 3, support 3
        var cat = m.Scores(0);
        Assert.Equal(2.0 / 3, cat.Precision, 12);
        Assert.Equal(2.0 / 3, cat.Recall, 12);
        Assert.Equal(2.0 / 3, cat.F1, 12);
        // dog: tp 1, predicted 2, support 2
        var dog = m.Scores(1);
        Assert.Equal(0.5, dog.Precision, 12);
        Assert.Equal(0.5, dog.Recall, 12);
        Assert.Equal(2, dog.Support);
        // bird: tp 3, predicted 4, support 4 -> 0.75
        var bird = m.Scores(2);
        Assert.Equal(0.75, bird.Precision, 12);
        Assert.Equal(0.75, bird.F1, 12);
    }

    [Fact]
    public void Report_is_laid_out_like_scikit_learn()
    {
        string report = Example().Report();
        var lines = report.Split('\n');
        Assert.Matches(@"^\s+precision\s+recall\s+f1-score\s+support$", lines[0]);
        Assert.Matches(@"^\s+cat\s+0\.6667\s+0\.6667\s+0\.6667\s+3$", lines[2]);
        Assert.Matches(@"^\s+bird\s+0\.7500\s+0\.7500\s+0\.7500\s+4$", lines[4]);
        Assert.Matches(@"^\s+accuracy\s+0\.6667\s+9$", lines[6]);
        // macro: (2/3 + 1/2 + 3/4) / 3 = 0.6389; weighted: (2/3*3 + 1/2*2 + 3/4*4) / 9 = 0.6667
        Assert.Matches(@"^\s+macro avg\s+0\.6389\s+0\.6389\s+0\.6389\s+9$", lines[7]);
        Assert.Matches(@"^\s*weighted avg\s+0\.6667\s+0\.6667\s+0\.6667\s+9$", lines[8]);
    }

    [Fact]
    public void Class_never_predicted_has_zero_precision_not_nan()
    {
        var m = ConfusionMatrix.From(new[] { "a", "b" }, new long[] { 0, 1 }, new long[] { 0, 0 });
        Assert.Equal(0, m.Scores(1).Precision);
        Assert.Equal(0, m.Scores(1).F1);
        Assert.Equal(0.5, m.Scores(0).Precision, 12);
    }

    [Fact]
    public void Text_matrix_has_one_row_per_true_class()
    {
        var text = Example().Format().TrimEnd('\n').Split('\n');
        Assert.Equal(4, text.Length);
        Assert.Matches(@"^2:bird\s+1\s+0\s+3$", text[3]);
    }
}
