using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using TorchSpecs.Generator.Diagnostics;
using TorchSpecs.Generator.Model;

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

            bool softmax = layer.Activation == ActivationKind.Softmax;
            if (softmax && layer.Index != last)
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.SoftmaxNotLast, layer.Location, layer.Name));
            plan = plan with { IsFinalSoftmax = softmax && layer.Index == last };

            if (!attempt.Agrees)
            {
                var declared = layer.Output!.Value;
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.OutputMismatch, layer.OutputLocation ?? layer.Location,
                    layer.Name, plan.Output, declared, attempt.Step.Arithmetic(declared), attempt.Step.Hint(declared)));
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
            bool padModule = plan.Spec.Kind is LayerKind.Conv or LayerKind.MaxPool or LayerKind.AvgPool && plan.HasPadding && !plan.NativePadding;
            if (padModule && properties.TryGetValue(plan.Spec.PropertyName + "Pad", out var clash))
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidName, clash.Location, "Layer name", clash.Name,
                    $"its property name {clash.PropertyName} is also the padding module of {plan.Spec.Name} (uneven padding gets its own module); rename it"));
        }

        var result = diagnostics.ToEquatableArray();
        bool failed = diagnostics.Any(d => d.IsError) || plans.Count != spec.Layers.Count;
        return new InferenceResult(spec.FilePath, spec.Model, spec.ModelLocation, failed ? null : new ModelPlan(spec, plans.ToEquatableArray()), result);
    }

    private sealed record Outcome(Step Step, LayerPlan? Plan, List<DiagnosticInfo> Diagnostics)
    {
        /// <summary>The row inferred cleanly and matches its documented output (or documents none).</summary>
        public bool Agrees => Plan is not null && (Plan.Spec.Output is not Shape declared || declared == Plan.Output);
    }

    private static Outcome Attempt(string path, LayerSpec layer, Shape input)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var step = new Step(path, layer, input, diagnostics);
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

    private sealed class Step
    {
        private readonly string _path;
        private readonly LayerSpec _layer;
        private readonly Shape _in;
        private readonly List<DiagnosticInfo> _diagnostics;
        private int _top, _bottom, _left, _right;

        public Step(string path, LayerSpec layer, Shape input, List<DiagnosticInfo> diagnostics)
        {
            _path = path; _layer = layer; _in = input; _diagnostics = diagnostics;
        }

        private string KindName => _layer.Kind switch
        {
            LayerKind.AdaptiveAvgPool => "adaptive_avgpool",
            LayerKind.BatchNorm => "batchnorm",
            LayerKind.ZeroPad => "zeropad",
            _ => _layer.Kind.ToString().ToLowerInvariant(),
        };

        /// <summary>The most values one example's output may hold, and the largest size of one axis.</summary>
        public const long MaxValues = int.MaxValue;

        public LayerPlan? Infer()
        {
            LayerPlan? plan;
            try
            {
                plan = InferChecked();
            }
            catch (OverflowException)
            {
                Report(DiagnosticDescriptors.TensorTooLarge, _layer.Location, _layer.Name,
                    $"sizes overflow a 64-bit integer on its {_in} input", MaxValues);
                return null;
            }
            if (plan is null) return null;
            var o = plan.Output;
            double values = (double)o.H * o.W * o.C;
            if (o.H > MaxValues || o.W > MaxValues || o.C > MaxValues || values > MaxValues)
            {
                Report(DiagnosticDescriptors.TensorTooLarge, _layer.Location, _layer.Name,
                    $"output would be {o} = {values.ToString("G6", CultureInfo.InvariantCulture)} values per example", MaxValues);
                return null;
            }
            return plan;
        }

        private LayerPlan? InferChecked()
        {
          checked
          {
            var l = _layer;
            switch (l.Kind)
            {
                case LayerKind.Conv:
                {
                    if (!NeedMap()) return null;
                    int filters = l.Filters!.Value;
                    if (_in.C % l.Groups != 0 || filters % l.Groups != 0)
                    {
                        Report(DiagnosticDescriptors.GroupsDoNotDivide, l.Location, l.Name, l.Groups, _in.C, filters);
                        return null;
                    }
                    var (h, w) = Window(ceil: false, pool: false);
                    if (h is null || w is null) return null;
                    long perOutput = (long)l.Kernel!.Value.H * l.Kernel.Value.W * (_in.C / l.Groups);
                    long weights = perOutput * filters + (l.Bias ? filters : 0);
                    return Plan(Shape.Map(h.Value, w.Value, filters)) with
                    {
                        TrainableParams = weights,
                        MultiplyAdds = h.Value * w.Value * filters * perOutput,
                        NativePadding = _top == _bottom && _left == _right,
                    };
                }
                case LayerKind.MaxPool:
                case LayerKind.AvgPool:
                {
                    if (!NeedMap()) return null;
                    var (h, w) = Window(l.Ceil, pool: true);
                    if (h is null || w is null) return null;
                    bool native = _top == _bottom && _left == _right && _top <= l.Kernel!.Value.H / 2 && _left <= l.Kernel.Value.W / 2;
                    if (!native && l.Kind == LayerKind.AvgPool && l.Padding!.Mode == PaddingMode.Same)
                    {
                        Report(DiagnosticDescriptors.Unsupported, l.Location,
                            $"{l.Name}: Keras 'same' average pooling with uneven padding ({_top},{_bottom},{_left},{_right}) has no exact libtorch equivalent; use explicit padding or a kernel/stride that pads evenly");
                        return null;
                    }
                    if (!native && l.Ceil)
                    {
                        Report(DiagnosticDescriptors.Unsupported, l.Location,
                            $"{l.Name}: ceil mode with uneven padding ({_top},{_bottom},{_left},{_right}) is not supported; use even padding or no ceil");
                        return null;
                    }
                    return Plan(Shape.Map(h.Value, w.Value, _in.C)) with { NativePadding = native };
                }
                case LayerKind.AdaptiveAvgPool:
                    if (!NeedMap()) return null;
                    return Plan(Shape.Map(l.Size!.Value.H, l.Size.Value.W, _in.C));
                case LayerKind.Resize:
                    if (!NeedMap()) return null;
                    return Plan(Shape.Map(l.Size!.Value.H, l.Size.Value.W, _in.C));
                case LayerKind.Lrn:
                    if (!NeedMap()) return null;
                    return Plan(_in);
                case LayerKind.BatchNorm:
                    return Plan(_in) with { TrainableParams = 2 * _in.C, NonTrainableParams = 2 * _in.C };
                case LayerKind.Dropout:
                case LayerKind.Activation:
                    return Plan(_in);
                case LayerKind.Flatten:
                    if (!NeedMap()) return null;
                    return Plan(Shape.Flat(_in.Elements));
                case LayerKind.Dense:
                {
                    if (!_in.IsFlat)
                    {
                        Report(DiagnosticDescriptors.FeatureMapIntoDense, l.Location, l.Name, "dense", _in);
                        return null;
                    }
                    long units = l.Units!.Value;
                    return Plan(Shape.Flat(units)) with
                    {
                        TrainableParams = _in.C * units + (l.Bias ? units : 0),
                        MultiplyAdds = _in.C * units,
                    };
                }
                case LayerKind.ZeroPad:
                {
                    if (!NeedMap()) return null;
                    var p = l.Padding!;
                    _top = p.Top; _bottom = p.Bottom; _left = p.Left; _right = p.Right;
                    return Plan(Shape.Map(_in.H + p.Top + p.Bottom, _in.W + p.Left + p.Right, _in.C));
                }
                default:
                    return null;
            }
          }
        }

        private LayerPlan Plan(Shape output) => new()
        {
            Spec = _layer, Input = _in, Output = output,
            PadTop = _top, PadBottom = _bottom, PadLeft = _left, PadRight = _right,
        };

        private bool NeedMap()
        {
            if (!_in.IsFlat) return true;
            Report(DiagnosticDescriptors.FlatIntoSpatialLayer, _layer.Location, _layer.Name, KindName, _in);
            return false;
        }

        /// <summary>Resolves padding and computes both spatial sizes; reports a window that does not fit.</summary>
        private (long? H, long? W) Window(bool ceil, bool pool)
        {
            var l = _layer;
            var k = l.Kernel!.Value;
            var s = l.Stride!.Value;
            var d = l.Dilation;
            var p = l.Padding!;
            if (p.Mode == PaddingMode.Same)
            {
                (_top, _bottom) = SamePadding(_in.H, k.H, s.H, d.H);
                (_left, _right) = SamePadding(_in.W, k.W, s.W, d.W);
            }
            else
            {
                _top = p.Top; _bottom = p.Bottom; _left = p.Left; _right = p.Right;
            }
            long h = WindowOutput(_in.H, _top, _bottom, k.H, s.H, d.H, ceil);
            long w = WindowOutput(_in.W, _left, _right, k.W, s.W, d.W, ceil);
            if (h <= 0 || w <= 0)
            {
                Report(DiagnosticDescriptors.NonPositiveOutput, l.Location, l.Name,
                    $"{h}x{w}", $"the {(k.H == k.W ? k.H.ToString(CultureInfo.InvariantCulture) : $"{k.H}x{k.W}")} {(pool ? "pool" : "kernel")} is larger than its padded {_in.H + _top + _bottom}x{_in.W + _left + _right} input ({Arithmetic(null)})");
                return (null, null);
            }
            return (h, w);
        }

        /// <summary>The arithmetic behind the inferred size, as the message shows it.</summary>
        public string Arithmetic(Shape? declared)
        {
            var l = _layer;
            switch (l.Kind)
            {
                case LayerKind.Conv:
                case LayerKind.MaxPool:
                case LayerKind.AvgPool:
                {
                    string hText = Axis(_in.H, _top, _bottom, l.Kernel!.Value.H, l.Stride!.Value.H, l.Dilation.H);
                    string wText = Axis(_in.W, _left, _right, l.Kernel.Value.W, l.Stride.Value.W, l.Dilation.W);
                    string text = hText == wText ? hText : $"height {hText}, width {wText}";
                    if (l.Kind == LayerKind.Conv && declared is { IsFlat: false } map && map.C != l.Filters)
                        text += $"; channels = filters = {l.Filters}";
                    return text;
                }
                case LayerKind.Flatten:
                    return $"{_in.H} * {_in.W} * {_in.C} = {_in.Elements}";
                case LayerKind.Dense:
                    return $"units = {l.Units}";
                case LayerKind.ZeroPad:
                    return $"{_in.H} + {_top} + {_bottom} = {_in.H + _top + _bottom}, {_in.W} + {_left} + {_right} = {_in.W + _left + _right}";
                case LayerKind.AdaptiveAvgPool:
                case LayerKind.Resize:
                    return $"size = {l.Size!.Value.H}x{l.Size.Value.W}, channels kept = {_in.C}";
                default:
                    return $"a {KindName} row keeps its input shape {_in}";
            }
        }

        private string Axis(long n, int before, int after, int k, int s, int d)
        {
            string pads = (before + after).ToString(CultureInfo.InvariantCulture);
            string window = d == 1 ? k.ToString(CultureInfo.InvariantCulture) : $"{d}*({k} - 1) - 1";
            string same = _layer.Padding!.Mode == PaddingMode.Same ? " (same)" : "";
            long result = WindowOutput(n, before, after, k, s, d, _layer.Ceil);
            string op = _layer.Ceil ? "ceil" : "floor";
            return $"{op}(({n} + {pads} - {window})/{s}) + 1 = {result}{same}";
        }

        /// <summary>A hint when a documented size would follow from a little more input (the 224 vs 227 slip).</summary>
        public string Hint(Shape declared)
        {
            var l = _layer;
            if (l.Kind != LayerKind.Conv || declared.IsFlat) return "";
            var k = l.Kernel!.Value;
            var s = l.Stride!.Value;
            long inferred = WindowOutput(_in.H, _top, _bottom, k.H, s.H, l.Dilation.H, l.Ceil);
            if (declared.H <= inferred) return "";
            // The usual slip: a stride-1 conv documented as keeping its size, written without padding.
            long window = (long)(k.H - 1) * l.Dilation.H;
            bool paperSlip = _in.H == 224 && k.H == 11 && s.H == 4 && declared.H == 55;
            if (!paperSlip && s.H == 1 && s.W == 1 && declared.H == _in.H && declared.W == _in.W && k.H == k.W && l.Dilation.H == l.Dilation.W &&
                window % 2 == 0 && l.Padding!.Mode == PaddingMode.Explicit && _top == 0 && _bottom == 0 && _left == 0 && _right == 0)
                return $". padding: {window / 2} (or same) would keep {declared.H}x{declared.W}: add it to the row";
            for (int extra = 1; extra <= Math.Min((long)k.H + s.H, 64); extra++)
            {
                if (WindowOutput(_in.H + extra, _top, _bottom, k.H, s.H, l.Dilation.H, l.Ceil) != declared.H) continue;
                string paper = _in.H == 224 && k.H == 11 && s.H == 4 && declared.H == 55
                    ? " (the AlexNet paper's 224 is a known slip for 227)"
                    : "";
                return $". An input of {_in.H + extra} would give {declared.H}{paper}: declare that input size or add a zeropad row of {extra} before {l.Name}";
            }
            return "";
        }

        private void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo at, params object[] args)
            => _diagnostics.Add(DiagnosticInfo.Create(descriptor, at, args));
    }
}
