using TorchSharp;
using TorchSpecs.Training;
using static TorchSharp.torch;

namespace TorchSpecs.Tests.Training;

public class PrefetcherTests
{
    private static IEnumerable<Batch> Batches(int count, Action<int>? each = null)
    {
        for (int i = 0; i < count; i++)
        {
            each?.Invoke(i);
            yield return new Batch(torch.full(2, 3, (float)i), torch.zeros(2, dtype: ScalarType.Int64));
        }
    }

    [SkippableFact]
    public void The_worker_runs_libtorch_on_one_thread_and_gives_the_count_back()
    {
        int before = torch.get_num_threads();
        Skip.If(before < 2, "needs 2 libtorch threads to tell the worker's 1 apart");
        var seen = new List<int>();
        using (var prefetch = new Prefetcher(Batches(3, _ => seen.Add(torch.get_num_threads())), capacity: 2))
            while (prefetch.TryNext(out var batch)) batch.Dispose();
        Assert.Equal(new[] { 1, 1, 1 }, seen);
        Assert.Equal(before, torch.get_num_threads());
        // A thread that starts using libtorch afterwards gets the process's count again, not the worker's.
        int fresh = 0;
        var thread = new Thread(() => fresh = torch.get_num_threads());
        thread.Start();
        thread.Join();
        Assert.Equal(before, fresh);
    }

    [Fact]
    public void Batches_arrive_in_order_and_a_failure_in_the_worker_reaches_the_consumer()
    {
        var values = new List<float>();
        using (var prefetch = new Prefetcher(Batches(4, i => { if (i == 3) throw new InvalidDataException("batch 3 is broken"); }), capacity: 1))
        {
            var e = Assert.Throws<InvalidDataException>(() =>
            {
                while (prefetch.TryNext(out var batch))
                    using (batch) values.Add(batch.Images[0, 0].item<float>());
            });
            Assert.Equal("batch 3 is broken", e.Message);
        }
        Assert.Equal(new[] { 0f, 1f, 2f }, values);
    }
}
