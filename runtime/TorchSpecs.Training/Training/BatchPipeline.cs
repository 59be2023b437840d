using System.Diagnostics;
using System.Runtime.ExceptionServices;
using TorchSharp;
using TorchSpecs.Data;
using static TorchSharp.torch;

namespace TorchSpecs.Training;

/// <summary>One batch of model inputs and labels, on the training device. The consumer disposes it.</summary>
public readonly record struct Batch(Tensor Images, Tensor Labels) : IDisposable
{
    public long Size => Labels.shape[0];

    /// <summary><paramref name="t"/> on <paramref name="device"/>: itself when it is there already, else a copy (and <paramref name="t"/> is disposed).</summary>
    public static Tensor ToDevice(Tensor t, Device device) => ImageBatches.ToDevice(t, device);

    public void Dispose()
    {
        Images.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Runs a batch producer on a background thread, at most <c>capacity</c> batches ahead of the
/// consumer (bounded memory), so that decoding, resizing, augmenting, normalizing and copying to
/// the device overlap the training step. The time the consumer waits is measured; an exception
/// in the producer is rethrown to the consumer. The worker's tensor operations run on one thread
/// (as PyTorch's pin-memory thread does): small ones do not need more, and a second OpenMP team
/// would take cores from the step's.
/// </summary>
internal sealed class Prefetcher : IDisposable
{
    private readonly System.Collections.Concurrent.BlockingCollection<Batch> _ready;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private ExceptionDispatchInfo? _failure;

    public Prefetcher(IEnumerable<Batch> producer, int capacity)
    {
        _ready = new(Math.Max(1, capacity));
        int threads = torch.get_num_threads();
        _thread = new Thread(() => Produce(producer, threads)) { IsBackground = true, Name = "TorchSpecs batch prefetch" };
        _thread.Start();
    }

    /// <summary>Seconds the consumer spent waiting for batches so far.</summary>
    public double WaitSeconds { get; private set; }

    /// <param name="producer">The batches.</param>
    /// <param name="threads">The consumer's thread count, restored at the end.</param>
    private void Produce(IEnumerable<Batch> producer, int threads)
    {
        // libtorch's setting is per thread, but it also becomes the default of threads that start
        // using libtorch later: give that back when the worker ends.
        torch.set_num_threads(1);
        try
        {
            foreach (var batch in producer)
            {
                try { _ready.Add(batch, _stop.Token); }
                catch (OperationCanceledException)
                {
                    batch.Dispose();
                    return;
                }
            }
        }
        catch (Exception e)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
        }
        finally
        {
            _ready.CompleteAdding();
            torch.set_num_threads(threads);
        }
    }

    /// <summary>The next batch, or false at the end of the epoch.</summary>
    public bool TryNext(out Batch batch)
    {
        if (_ready.TryTake(out batch)) return true;
        var clock = Stopwatch.StartNew();
        bool got;
        try { got = _ready.TryTake(out batch, Timeout.Infinite); }
        finally { WaitSeconds += clock.Elapsed.TotalSeconds; }
        if (!got) _failure?.Throw();
        return got;
    }

    public void Dispose()
    {
        _stop.Cancel();
        while (_ready.TryTake(out var left)) left.Dispose();
        _thread.Join();
        while (_ready.TryTake(out var left)) left.Dispose();
        _ready.Dispose();
        _stop.Dispose();
    }
}

/// <summary>The batches of one epoch of an <see cref="ImageDataSet"/>, as the trainer's background worker makes them.</summary>
internal static class ImageBatches
{
    /// <summary>
    /// <paramref name="limit"/> images (all when 0) of <paramref name="data"/>, shuffled by a
    /// generator seeded with <paramref name="seed"/> (its own, so the step's dropout does not
    /// share it), which also draws the augmentation, in batches on <paramref name="device"/>.
    /// </summary>
    public static IEnumerable<Batch> Epoch(ImageDataSet data, BatchTransform transform, Augmentation? augmentation, int batchSize,
        bool shuffle, ulong seed, Device device, long limit = 0)
    {
        using var generator = new Generator(seed);
        long n = limit > 0 ? Math.Min(limit, data.Count) : data.Count;
        using var order = shuffle ? torch.randperm(n, generator: generator) : torch.arange(n, dtype: ScalarType.Int64);
        for (long start = 0; start < n; start += batchSize)
        {
            using var indices = order.narrow(0, start, Math.Min(batchSize, n - start));
            var x = transform.Apply(data, indices, augmentation, generator);
            var y = data.Labels.index_select(0, indices);
            yield return new Batch(ToDevice(x, device), ToDevice(y, device));
        }
    }

    internal static Tensor ToDevice(Tensor t, Device device)
    {
        if (t.device == device || (t.device.type == device.type && device.type == DeviceType.CPU)) return t;
        var moved = t.to(device);
        t.Dispose();
        return moved;
    }
}
