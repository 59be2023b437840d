using TorchSpecs.Generator.Kinds;

namespace TorchSpecs.Generator.Parsing;

internal sealed partial class SpecParser
{
    /// <summary>
    /// One row's keys, as a kind's <see cref="LayerDefinition.Read"/> sees them: each value read
    /// by its <see cref="KeyDefinition"/> (form, range, required), problems reported at the value.
    /// A kind never sees YAML nodes.
    /// </summary>
    internal sealed class RowReader
    {
        private readonly SpecParser _parser;
        private readonly KeyValues _values;

        internal RowReader(SpecParser parser, KeyValues values, string what, LocationInfo rowLocation)
        {
            _parser = parser;
            _values = values;
            What = what;
            RowLocation = rowLocation;
        }

        /// <summary>How the row is named in messages: its name, or the one derived from its type.</summary>
        public string What { get; }

        public LocationInfo RowLocation { get; }

        public bool Has(string key) => _values.ContainsKey(key);

        /// <summary>Where the value of <paramref name="key"/> is (the key must be present).</summary>
        public LocationInfo At(string key) => _parser.Loc(_values[key]);

        public void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, LocationInfo at, params object[] args) => _parser.Report(descriptor, at, args);

        /// <summary>Reports a required key as missing (at the row's type, or at the row's start), unless a misspelt key already was.</summary>
        public void Missing(KeyDefinition key, bool atRow = false)
        {
            if (atRow)
            {
                if (!Misspelt(_values, key.Name)) Report(DiagnosticDescriptors.MissingKey, RowLocation, What, key.Name, key.Help);
            }
            else
            {
                _parser.ReportMissing(_values, What, key.Name, key.Help);
            }
        }

        private bool TryGet(KeyDefinition key, out YNode node)
        {
            if (_values.TryGetValue(key.Name, out node!)) return true;
            if (key.Required) Missing(key);
            return false;
        }

        public int? Int(KeyDefinition key)
        {
            if (!TryGet(key, out var node)) return null;
            long? value = _parser.Integer(node, key.Name);
            if (value is null) return null;
            if (key.Range is { } range && !range.Contains(value.Value))
            {
                Report(DiagnosticDescriptors.InvalidValue, _parser.Loc(node), key.Name, value.Value, range.Text);
                return null;
            }
            return (int)value.Value;
        }

        public double? Number(KeyDefinition key)
        {
            if (!TryGet(key, out var node)) return null;
            double? value = _parser.Double(node, key.Name);
            if (value is null) return null;
            if (key.Range is { } range && !range.Contains(value.Value))
            {
                Report(DiagnosticDescriptors.InvalidValue, _parser.Loc(node), key.Name, Num(value.Value), range.Text);
                return null;
            }
            return value;
        }

        public bool? Bool(KeyDefinition key) => TryGet(key, out _) ? _parser.OptionalBool(_values, key.Name) : null;

        public Pair? Pair(KeyDefinition key) => TryGet(key, out var node) ? _parser.PairValue(node, key.Name) : null;

        public Pair? Size(KeyDefinition key) => TryGet(key, out var node) ? _parser.SizeValue(node, key.Name) : null;

        public PaddingSpec? Padding(KeyDefinition key) => TryGet(key, out _) ? _parser.OptionalPadding(_values) : null;

        public ActivationKind Activation(KeyDefinition key) => TryGet(key, out _) ? _parser.OptionalActivation(_values) : ActivationKind.None;

        public InitSpec Init(KeyDefinition key) => TryGet(key, out _) ? _parser.OptionalInit(_values) : InitSpec.Default;
    }

}
