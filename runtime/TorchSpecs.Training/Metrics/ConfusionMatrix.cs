using System.Globalization;
using System.Text;

namespace TorchSpecs.Metrics;

/// <summary>Precision, recall, F1 and support of one class.</summary>
public sealed record ClassScores(string Name, double Precision, double Recall, double F1, long Support);

/// <summary>
/// Counts of (true class, predicted class) pairs: row = true class, column = prediction, as
/// scikit-learn's confusion_matrix. Precision, recall and F1 are 0 where their denominator is 0
/// (scikit-learn's zero_division=0).
/// </summary>
public sealed class ConfusionMatrix
{
    private readonly long[,] _counts;

    public ConfusionMatrix(IReadOnlyList<string> classes)
    {
        Classes = classes;
        _counts = new long[classes.Count, classes.Count];
    }

    /// <summary>A matrix from true and predicted labels of the same length.</summary>
    public static ConfusionMatrix From(IReadOnlyList<string> classes, ReadOnlySpan<long> truth, ReadOnlySpan<long> predicted)
    {
        if (truth.Length != predicted.Length) throw new ArgumentException($"{truth.Length} true labels but {predicted.Length} predictions");
        var matrix = new ConfusionMatrix(classes);
        for (int i = 0; i < truth.Length; i++) matrix.Add(truth[i], predicted[i]);
        return matrix;
    }

    public IReadOnlyList<string> Classes { get; }
    public int Size => Classes.Count;
    public long this[int truth, int predicted] => _counts[truth, predicted];

    public void Add(long truth, long predicted)
    {
        if (truth < 0 || truth >= Size || predicted < 0 || predicted >= Size)
            throw new ArgumentOutOfRangeException(nameof(truth), $"labels must be in 0..{Size - 1}, got {truth} and {predicted}");
        _counts[truth, predicted]++;
    }

    public long Total
    {
        get
        {
            long sum = 0;
            foreach (var c in _counts) sum += c;
            return sum;
        }
    }

    public long Correct
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < Size; i++) sum += _counts[i, i];
            return sum;
        }
    }

    public double Accuracy => Total == 0 ? 0 : (double)Correct / Total;

    public long Support(int c)
    {
        long sum = 0;
        for (int j = 0; j < Size; j++) sum += _counts[c, j];
        return sum;
    }

    public long PredictedCount(int c)
    {
        long sum = 0;
        for (int i = 0; i < Size; i++) sum += _counts[i, c];
        return sum;
    }

    public ClassScores Scores(int c)
    {
        long tp = _counts[c, c], predicted = PredictedCount(c), support = Support(c);
        double precision = predicted == 0 ? 0 : (double)tp / predicted;
        double recall = support == 0 ? 0 : (double)tp / support;
        double f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
        return new ClassScores(Classes[c], precision, recall, f1, support);
    }

    public IReadOnlyList<ClassScores> AllScores() => Enumerable.Range(0, Size).Select(Scores).ToArray();

    /// <summary>The matrix as text: a header of predicted classes, one row per true class.</summary>
    public string Format()
    {
        var labels = Classes.Select((c, i) => $"{i}:{c}").ToArray();
        int rowWidth = labels.Max(l => l.Length);
        int cell = Math.Max(6, Total.ToString(CultureInfo.InvariantCulture).Length + 1);
        var text = new StringBuilder();
        text.Append("true \\ predicted".PadRight(rowWidth));
        for (int j = 0; j < Size; j++) text.Append(j.ToString(CultureInfo.InvariantCulture).PadLeft(cell));
        text.Append('\n');
        for (int i = 0; i < Size; i++)
        {
            text.Append(labels[i].PadRight(rowWidth));
            for (int j = 0; j < Size; j++) text.Append(_counts[i, j].ToString(CultureInfo.InvariantCulture).PadLeft(cell));
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>A per-class report laid out like scikit-learn's classification_report (4 digits).</summary>
    public string Report(int digits = 4)
    {
        var scores = AllScores();
        string f = "F" + digits.ToString(CultureInfo.InvariantCulture);
        int width = Math.Max("weighted avg".Length, Classes.Max(c => c.Length));
        int col = Math.Max(digits + 5, 9);
        string Num(double v) => v.ToString(f, CultureInfo.InvariantCulture).PadLeft(col + 1);
        string Int(long v) => v.ToString(CultureInfo.InvariantCulture).PadLeft(col + 1);

        var text = new StringBuilder();
        text.Append(new string(' ', width)).Append("precision".PadLeft(col + 1)).Append("recall".PadLeft(col + 1))
            .Append("f1-score".PadLeft(col + 1)).Append("support".PadLeft(col + 1)).Append("\n\n");
        foreach (var s in scores)
            text.Append(s.Name.PadLeft(width)).Append(Num(s.Precision)).Append(Num(s.Recall)).Append(Num(s.F1)).Append(Int(s.Support)).Append('\n');
        long total = Total;
        text.Append('\n');
        text.Append("accuracy".PadLeft(width)).Append(new string(' ', 2 * (col + 1))).Append(Num(Accuracy)).Append(Int(total)).Append('\n');
        double Macro(Func<ClassScores, double> pick) => scores.Average(pick);
        double Weighted(Func<ClassScores, double> pick) => total == 0 ? 0 : scores.Sum(s => pick(s) * s.Support) / total;
        text.Append("macro avg".PadLeft(width)).Append(Num(Macro(s => s.Precision))).Append(Num(Macro(s => s.Recall))).Append(Num(Macro(s => s.F1))).Append(Int(total)).Append('\n');
        text.Append("weighted avg".PadLeft(width)).Append(Num(Weighted(s => s.Precision))).Append(Num(Weighted(s => s.Recall))).Append(Num(Weighted(s => s.F1))).Append(Int(total)).Append('\n');
        return text.ToString();
    }
}
