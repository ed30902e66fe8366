using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Fleet.Tests.Architecture;

/// <summary>A call, field access or <c>ldtoken</c> made by a method: who made it and what it names.</summary>
public sealed record MemberReference(string FromType, string DeclaringType, string Member);

/// <summary>
/// What the types of one compiled assembly refer to, read from its metadata and IL: base types, interfaces, fields,
/// signatures, attributes, locals and the tokens in method bodies. A compiler-generated type (a lambda's closure, an
/// async state machine) counts as its outermost declaring type, so the references of a method's body stay with it.
/// </summary>
public sealed class AssemblyDependencies
{
    private static readonly Dictionary<short, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value, o => o.OperandType);

    private readonly Dictionary<string, HashSet<string>> _references = [];
    private readonly List<MemberReference> _members = [];

    private AssemblyDependencies(IReadOnlyList<string> assemblyReferences) => AssemblyReferences = assemblyReferences;

    /// <summary>The names of the assemblies it references.</summary>
    public IReadOnlyList<string> AssemblyReferences { get; }

    /// <summary>Full names of the (outermost) types it defines.</summary>
    public IEnumerable<string> Types => _references.Keys;

    public static AssemblyDependencies Read(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var result = new AssemblyDependencies([.. md.AssemblyReferences.Select(h => md.GetString(md.GetAssemblyReference(h).Name))]);
        foreach (var handle in md.TypeDefinitions)
        {
            var owner = OuterName(md, handle);
            if (owner == "<Module>")
            {
                continue;
            }

            var seen = result.ReferencesOf(owner);
            new TypeReader(md, pe, owner, seen, result._members).Read(handle);
        }

        foreach (var (type, seen) in result._references)
        {
            seen.Remove(type);
        }

        return result;
    }

    /// <summary>Full names of the types that <paramref name="type"/> (and the types nested in it) refer to.</summary>
    public IReadOnlySet<string> TypesReferencedBy(string type) =>
        _references.TryGetValue(type, out var seen) ? seen : throw new ArgumentException($"{type} is not defined in this assembly", nameof(type));

    /// <summary>The members named by the method bodies of the types in namespace <paramref name="ns"/> (and below it).</summary>
    public IEnumerable<MemberReference> MemberReferencesFrom(string ns) => _members.Where(m => Namespaces.IsWithin(Namespaces.Of(m.FromType), ns));

    /// <summary>Namespace → the other namespaces its types refer to, for namespaces within <paramref name="prefix"/> on both ends.</summary>
    public IReadOnlyDictionary<string, IReadOnlySet<string>> NamespaceGraph(string prefix)
    {
        var graph = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var (type, seen) in _references)
        {
            var from = Namespaces.Of(type);
            if (!Namespaces.IsWithin(from, prefix))
            {
                continue;
            }

            var edges = graph.TryGetValue(from, out var e) ? e : graph[from] = new HashSet<string>(StringComparer.Ordinal);
            foreach (var to in seen.Select(Namespaces.Of).Where(n => n != from && Namespaces.IsWithin(n, prefix)))
            {
                edges.Add(to);
            }
        }

        return graph.ToDictionary(p => p.Key, p => (IReadOnlySet<string>)p.Value, StringComparer.Ordinal);
    }

    private HashSet<string> ReferencesOf(string type) =>
        _references.TryGetValue(type, out var seen) ? seen : _references[type] = new HashSet<string>(StringComparer.Ordinal);

    private static string OuterName(MetadataReader md, TypeDefinitionHandle handle)
    {
        var type = md.GetTypeDefinition(handle);
        while (type.GetDeclaringType() is { IsNil: false } outer)
        {
            type = md.GetTypeDefinition(outer);
        }

        return Join(md.GetString(type.Namespace), md.GetString(type.Name));
    }

    private static string OuterName(MetadataReader md, TypeReferenceHandle handle)
    {
        var type = md.GetTypeReference(handle);
        while (type.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            type = md.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
        }

        return Join(md.GetString(type.Namespace), md.GetString(type.Name));
    }

    private static string Join(string ns, string name) => ns.Length == 0 ? name : $"{ns}.{name}";

    /// <summary>Collects what one type definition refers to into <c>seen</c>.</summary>
    private sealed class TypeReader(MetadataReader md, PEReader pe, string owner, HashSet<string> seen, List<MemberReference> members)
        : ISignatureTypeProvider<string, object?>
    {
        public void Read(TypeDefinitionHandle handle)
        {
            var type = md.GetTypeDefinition(handle);
            AddType(type.BaseType);
            foreach (var i in type.GetInterfaceImplementations())
            {
                AddType(md.GetInterfaceImplementation(i).Interface);
            }

            AddAttributes(type.GetCustomAttributes());
            AddGenericParameters(type.GetGenericParameters());
            foreach (var f in type.GetFields())
            {
                var field = md.GetFieldDefinition(f);
                field.DecodeSignature(this, null);
                AddAttributes(field.GetCustomAttributes());
            }

            foreach (var p in type.GetProperties())
            {
                var property = md.GetPropertyDefinition(p);
                property.DecodeSignature(this, null);
                AddAttributes(property.GetCustomAttributes());
            }

            foreach (var e in type.GetEvents())
            {
                AddType(md.GetEventDefinition(e).Type);
            }

            foreach (var m in type.GetMethods())
            {
                ReadMethod(md.GetMethodDefinition(m));
            }
        }

        private void ReadMethod(MethodDefinition method)
        {
            method.DecodeSignature(this, null);
            AddAttributes(method.GetCustomAttributes());
            AddGenericParameters(method.GetGenericParameters());
            foreach (var p in method.GetParameters())
            {
                AddAttributes(md.GetParameter(p).GetCustomAttributes());
            }

            if (method.RelativeVirtualAddress == 0)
            {
                return;
            }

            var body = pe.GetMethodBody(method.RelativeVirtualAddress);
            if (!body.LocalSignature.IsNil)
            {
                md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(this, null);
            }

            foreach (var region in body.ExceptionRegions)
            {
                AddType(region.CatchType);
            }

            ReadIl(body.GetILReader());
        }

        private void ReadIl(BlobReader il)
        {
            while (il.RemainingBytes > 0)
            {
                short code = il.ReadByte();
                if (code == 0xFE)
                {
                    code = (short)(0xFE00 | il.ReadByte());
                }

                switch (Operands[code])
                {
                    case OperandType.InlineNone:
                        break;
                    case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                        il.Offset += 1;
                        break;
                    case OperandType.InlineVar:
                        il.Offset += 2;
                        break;
                    case OperandType.InlineI8 or OperandType.InlineR:
                        il.Offset += 8;
                        break;
                    case OperandType.InlineSwitch:
                        var targets = il.ReadInt32();
                        il.Offset += 4 * targets;
                        break;
                    case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                        AddToken(MetadataTokens.EntityHandle(il.ReadInt32()));
                        break;
                    default:
                        il.Offset += 4;
                        break;
                }
            }
        }

        private void AddToken(EntityHandle handle)
        {
            switch (handle.Kind)
            {
                case HandleKind.MethodDefinition:
                    var method = md.GetMethodDefinition((MethodDefinitionHandle)handle);
                    AddMember(method.GetDeclaringType(), md.GetString(method.Name));
                    break;
                case HandleKind.FieldDefinition:
                    var field = md.GetFieldDefinition((FieldDefinitionHandle)handle);
                    AddMember(field.GetDeclaringType(), md.GetString(field.Name));
                    break;
                case HandleKind.MemberReference:
                    var member = md.GetMemberReference((MemberReferenceHandle)handle);
                    AddMember(member.Parent, md.GetString(member.Name));
                    if (member.GetKind() == MemberReferenceKind.Method)
                    {
                        member.DecodeMethodSignature(this, null);
                    }
                    else
                    {
                        member.DecodeFieldSignature(this, null);
                    }

                    break;
                case HandleKind.MethodSpecification:
                    var spec = md.GetMethodSpecification((MethodSpecificationHandle)handle);
                    AddToken(spec.Method);
                    spec.DecodeSignature(this, null);
                    break;
                default:
                    AddType(handle);
                    break;
            }
        }

        private void AddMember(EntityHandle parent, string name)
        {
            if (parent.Kind == HandleKind.MethodDefinition)
            {
                parent = md.GetMethodDefinition((MethodDefinitionHandle)parent).GetDeclaringType();
            }

            if (TypeName(parent) is { } declaring)
            {
                seen.Add(declaring);
                members.Add(new MemberReference(owner, declaring, name));
            }
        }

        private void AddType(EntityHandle handle)
        {
            if (TypeName(handle) is { } name)
            {
                seen.Add(name);
            }
        }

        /// <summary>The outermost type a handle names; a generic instantiation adds its arguments to <c>seen</c>.</summary>
        private string? TypeName(EntityHandle handle) => handle.IsNil ? null : handle.Kind switch
        {
            HandleKind.TypeDefinition => OuterName(md, (TypeDefinitionHandle)handle),
            HandleKind.TypeReference => OuterName(md, (TypeReferenceHandle)handle),
            HandleKind.TypeSpecification => md.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(this, null),
            _ => null,
        };

        private void AddAttributes(CustomAttributeHandleCollection attributes)
        {
            foreach (var a in attributes)
            {
                AddMember(md.GetCustomAttribute(a).Constructor, ".ctor");
            }
        }

        private void AddGenericParameters(GenericParameterHandleCollection parameters)
        {
            foreach (var p in parameters)
            {
                foreach (var c in md.GetGenericParameter(p).GetConstraints())
                {
                    AddType(md.GetGenericParameterConstraint(c).Type);
                }
            }
        }

        private string Seen(string name)
        {
            seen.Add(name);
            return name;
        }

        public string GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) => Seen(OuterName(reader, handle));

        public string GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) => Seen(OuterName(reader, handle));

        public string GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            reader.GetTypeSpecification(handle).DecodeSignature(this, genericContext);

        public string GetGenericInstantiation(string genericType, ImmutableArray<string> typeArguments) => genericType;

        public string GetArrayType(string elementType, ArrayShape shape) => elementType;

        public string GetSZArrayType(string elementType) => elementType;

        public string GetByReferenceType(string elementType) => elementType;

        public string GetPointerType(string elementType) => elementType;

        public string GetPinnedType(string elementType) => elementType;

        public string GetModifiedType(string modifier, string unmodifiedType, bool isRequired) => unmodifiedType;

        public string GetFunctionPointerType(MethodSignature<string> signature) => "method pointer";

        public string GetGenericMethodParameter(object? genericContext, int index) => $"!!{index}";

        public string GetGenericTypeParameter(object? genericContext, int index) => $"!{index}";

        public string GetPrimitiveType(PrimitiveTypeCode typeCode) => typeCode.ToString();
    }
}
