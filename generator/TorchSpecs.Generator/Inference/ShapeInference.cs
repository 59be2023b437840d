using System.Globalization;
using TorchSpecs.Generator.Kinds;

namespace TorchSpecs.Generator.Inference;

/// <summary>
/// One row after inference: its input and output shapes, the padding it really applies
/// (Keras' same resolved to sides), and what it costs.
/// </summary>
internal sealed record LayerPlan
{
    public required LayerSpec Spec { get; init; }
    public required Shape Input { get; init; }
    public required Shape Output { get; init; }
    public int PadTop { get; init; }
    public int PadBottom { get; init; }
    public int PadLeft { get; init; }
    public int PadRight { get; init; }
    /// <summary>True when the padding goes into the layer itself (symmetric, within what libtorch allows).</summary>
    public bool NativePadding { get; init; } = true;
    public long TrainableParams { get; init; }
    public long NonTrainableParams { get; init; }
    public long MultiplyAdds { get; init; }
    /// <summary>The last row's softmax: forward returns logits, Predict applies it.</summary>
    public bool IsFinalSoftmax { get; init; }

    public bool HasPadding => PadTop != 0 || PadBottom != 0 || PadLeft != 0 || PadRight != 0;

    /// <summary>A sliding-window row whose padding cannot go into the layer gets its own padding module.</summary>
    public bool NeedsPadModule => Spec is IWindowSpec && HasPadding && !NativePadding;
}

internal sealed record ModelPlan(NetworkSpec Spec, EquatableArray<LayerPlan> Layers);

internal sealed record InferenceResult(string FilePath, string? ModelName, LocationInfo? ModelLocation, ModelPlan? Plan, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>
/// Infers every row's output shape with the frameworks' exact rules and checks it against
/// the documented output. A wrong row is reported once; the next row continues from the
/// documented output, so one mistake gives one diagnostic.
/// </summary>
internal static class ShapeInference
{
    public static InferenceResult Run(NetworkSpec spec)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var plans = new List<LayerPlan>();
        Shape? current = spec.Input;
        // After a mismatch the next row may follow from the documented shape (the row's own
        // parameters were wrong) or from the inferred one (its documented output was a typo):
        // whichever the next row agrees with is taken, so one mistake gives one diagnostic.
        Shape? alternate = null;
        int last = spec.Layers.Count - 1;

        foreach (var layer in spec.Layers)
        {
            if (!layer.IsComplete || current is null)
            {
                current = layer.Output;
                alternate = null;
                continue;
            }
            var attempt = Attempt(spec.FilePath, layer, current.Value);
            if (alternate is Shape other && !attempt.Agrees)
            {
                var second = Attempt(spec.FilePath, layer, other);
                if (second.Agrees) attempt = second;
            }
            alternate = null;
            diagnostics.AddRange(attempt.Diagnostics);
            LayerPlan? plan = attempt.Plan;
            if (plan is null)
            {
                current = layer.Output;
                continue;
            }

            bool softmax = layer.AppliedActivation == ActivationKind.Softmax;
            if (softmax && layer.Index != last)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SoftmaxNotLast, layer.Location, layer.DisplayName));
            plan = plan with { IsFinalSoftmax = softmax && layer.Index == last };

            // A plan that does not agree has a documented output that differs.
            if (!attempt.Agrees && layer.Output is Shape declared)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputMismatch, layer.OutputLocation ?? layer.Location,
                    layer.DisplayName, plan.Output, declared, attempt.Step.Arithmetic(declared), attempt.Step.Hint(declared)));
                current = declared;
                alternate = plan.Output;
                continue;
            }
            plans.Add(plan);
            current = plan.Output;
        }

        // A row whose padding needs its own module gets a property <Name>Pad: no row may already have that name.
        var properties = spec.Layers.GroupBy(l => l.PropertyName, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var plan in plans)
        {
            bool padModule = plan.NeedsPadModule;
            if (padModule && properties.TryGetValue(plan.Spec.PropertyName + "Pad", out var clash))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, clash.Location, "Layer name", clash.Name,
                    $"its property name {clash.PropertyName} is also the padding module of {plan.Spec.Name} (uneven padding gets its own module); rename it"));
        }

        var result = diagnostics.ToEquatableArray();
        bool failed = diagnostics.Any(d => d.IsError) || plans.Count != spec.Layers.Count;
        return new InferenceResult(spec.FilePath, spec.Model, spec.ModelLocation, failed ? null : new ModelPlan(spec, plans.ToEquatableArray()), result);
    }

    private sealed record Outcome(ShapeStep Step, LayerPlan? Plan, List<DiagnosticInfo> Diagnostics)
    {
        /// <summary>The row inferred cleanly and matches its documented output (or documents none).</summary>
        public bool Agrees => Plan is not null && (Plan.Spec.Output is not Shape declared || declared == Plan.Output);
    }

    private static Outcome Attempt(string path, LayerSpec layer, Shape input)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var step = new ShapeStep(path, layer, input, diagnostics);
        return new Outcome(step, step.Infer(), diagnostics);
    }

    /// <summary>Output size of a convolution or pooling window along one axis (PyTorch's rule).</summary>
    public static long WindowOutput(long size, int padBefore, int padAfter, int kernel, int stride, int dilation, bool ceil)
    {
        long span = size + padBefore + padAfter - (long)dilation * (kernel - 1) - 1;
        if (span < 0) return 0;
        long output = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
        // PyTorch: in ceil mode the last window must start inside the input or the left padding.
        if (ceil && (output - 1) * stride >= size + padBefore) output--;
        return output;
    }

    /// <summary>Keras' 'same': output ceil(n/s), the total padding split with the extra on the bottom/right.</summary>
    public static (int Before, int After) SamePadding(long size, int kernel, int stride, int dilation)
    {
        long output = (size + stride - 1) / stride;
        long total = Math.Max((output - 1) * stride + (long)(kernel - 1) * dilation + 1 - size, 0);
        return (checked((int)(total / 2)), checked((int)(total - total / 2)));
    }

    /// <summary>
    /// Inference of one row on one input: what a kind's shape rule (<see cref="LayerDefinition.Infer"/>)
    /// works with. Holds the padding the row really applies once resolved, and collects diagnostics.
    /// </summary>
    internal sealed class ShapeStep
    {
        private readonly List<DiagnosticInfo> _diagnostics;

        public ShapeStep(string path, LayerSpec layer, Shape input, List<DiagnosticInfo> diagnostics)
        {
            Path = path; Layer = layer; In = input; _diagnostics = diagnostics;
        }

        public string Path { get; }
        public LayerSpec Layer { get; }
        /// <summary>The row's input shape.</summary>
        public Shape In { get; }
        public int Top, Bottom, Left, Right;

        public LayerDefinition Definition => LayerDefinitions.Get(Layer.Kind);

        public string KindName => Layer.Kind.TypeName();

        /// <summary>The most values one example's output may hold, and the largest size of one axis.</summary>
        public const long MaxValues = int.MaxValue;

        public LayerPlan? Infer()
        {
            LayerPlan? plan;
            try
            {
                plan = Definition.Infer(this);
            }
            catch (OverflowException)
            {
                Report(DiagnosticDescriptors.TensorTooLarge, Layer.Location, Layer.DisplayName,
                    $"sizes overflow a 64-bit integer on its {In} input", MaxValues);
                return null;
            }
            if (plan is null) return null;
            var o = plan.Output;
            double values = (double)o.H * o.W * o.C;
            if (o.H > MaxValues || o.W > MaxValues || o.C > MaxValues || values > MaxValues)
            {
                Report(DiagnosticDescriptors.TensorTooLarge, Layer.Location, Layer.DisplayName,
                    $"output would be {o} = {values.ToString("G6", CultureInfo.InvariantCulture)} values per example", MaxValues);
                return null;
            }
            return plan;
        }

        /// <summary>The plan of this row with the given output and the padding resolved so far.</summary>
        public LayerPlan Plan(Shape output) => new()
        {
            Spec = Layer, Input = In, Output = output,
            PadTop = Top, PadBottom = Bottom, PadLeft = Left, PadRight = Right,
        };

        /// <summary>True when the input is a feature map; otherwise reports TS0104.</summary>
        public bool NeedMap()
        {
            if (!In.IsFlat) return true;
            Report(DiagnosticDescriptors.FlatIntoSpatialLayer, Layer.Location, Layer.DisplayName, KindName, In);
            return false;
        }

        /// <summary>True when the input is flat; otherwise reports TS0103.</summary>
        public bool NeedFlat()
        {
            if (In.IsFlat) return true;
            Report(DiagnosticDescriptors.FeatureMapIntoDense, Layer.Location, Layer.DisplayName, KindName, In);
            return false;
        }

        /// <summary>Resolves padding and computes both spatial sizes; reports a window that does not fit.</summary>
        public (long? H, long? W) Window(IWindowSpec l, bool pool)
        {
            var k = l.Kernel;
            var s = l.Stride;
            var d = l.Dilation;
            var p = l.Padding;
            if (p.Mode == PaddingMode.Same)
            {
                (Top, Bottom) = SamePadding(In.H, k.H, s.H, d.H);
                (Left, Right) = SamePadding(In.W, k.W, s.W, d.W);
            }
            else
            {
                Top = p.Top; Bottom = p.Bottom; Left = p.Left; Right = p.Right;
            }
            long h = WindowOutput(In.H, Top, Bottom, k.H, s.H, d.H, l.Ceil);
            long w = WindowOutput(In.W, Left, Right, k.W, s.W, d.W, l.Ceil);
            if (h <= 0 || w <= 0)
            {
                Report(DiagnosticDescriptors.NonPositiveOutput, Layer.Location, Layer.DisplayName,
                    $"{h}x{w}", $"the {(k.H == k.W ? k.H.ToString(CultureInfo.InvariantCulture) : $"{k.H}x{k.W}")} {(pool ? "pool" : "kernel")} is larger than its padded {In.H + Top + Bottom}x{In.W + Left + Right} input ({Arithmetic(null)})");
                return (null, null);
            }
            return (h, w);
        }

        /// <summary>The arithmetic behind the inferred size, as the message shows it.</summary>
        public string Arithmetic(Shape? declared) => Definition.Arithmetic(this, declared);

        /// <summary>A hint for a documented size that differs (the kind's own, e.g. conv's 224 vs 227 slip).</summary>
        public string Hint(Shape declared) => Definition.Hint(this, declared);

        /// <summary>The window arithmetic of a sliding-window row, both axes.</summary>
        public string WindowArithmetic(IWindowSpec l)
        {
            string hText = Axis(l, In.H, Top, Bottom, l.Kernel.H, l.Stride.H, l.Dilation.H);
            string wText = Axis(l, In.W, Left, Right, l.Kernel.W, l.Stride.W, l.Dilation.W);
            return hText == wText ? hText : $"height {hText}, width {wText}";
        }

        private static string Axis(IWindowSpec l, long n, int before, int after, int k, int s, int d)
        {
            string pads = (before + after).ToString(CultureInfo.InvariantCulture);
            string window = d == 1 ? k.ToString(CultureInfo.InvariantCulture) : $"{d}*({k} - 1) - 1";
            string same = l.Padding.Mode == PaddingMode.Same ? " (same)" : "";
            long result = WindowOutput(n, before, after, k, s, d, l.Ceil);
            string op = l.Ceil ? "ceil" : "floor";
            return $"{op}(({n} + {pads} - {window})/{s}) + 1 = {result}{same}";
        }

        public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo at, params object[] args)
            => _diagnostics.Add(DiagnosticInfo.Create(descriptor, at, args));
    }
}
