namespace TorchSpecs.Metrics;

/// <summary>Order statistics of timing runs, as the benchmarks report them (one copy for the bench verb and BenchmarkDotNet's extras).</summary>
public static class Statistics
{
    /// <summary>The median; for an even count, the mean of the two middle values.</summary>
    public static double Median(IEnumerable<double> values) => Quantile(values, 0.5);

    /// <summary>
    /// The <paramref name="q"/> quantile by linear interpolation between the closest ranks
    /// (NumPy's default, Excel's PERCENTILE.INC).
    /// </summary>
    public static double Quantile(IEnumerable<double> values, double q)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        if (sorted.Length == 0) throw new ArgumentException("no values", nameof(values));
        if (q < 0 || q > 1) throw new ArgumentOutOfRangeException(nameof(q), q, "a quantile is in [0, 1]");
        double position = q * (sorted.Length - 1);
        int low = (int)Math.Floor(position), high = (int)Math.Ceiling(position);
        return sorted[low] + (sorted[high] - sorted[low]) * (position - low);
    }
}
