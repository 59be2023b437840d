// The namespaces every stage of the generator uses (parse, model, infer, emit), once.
global using System;
global using System.Collections.Generic;
global using System.Linq;
global using TorchSpecs.Generator.Diagnostics;
global using TorchSpecs.Generator.Inference;
global using TorchSpecs.Generator.Model;
global using TorchSpecs.Generator.Parsing;
