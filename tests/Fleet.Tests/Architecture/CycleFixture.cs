// Two namespaces that depend on each other, for the test of the cycle check: it must find exactly this cycle.
namespace Fleet.Tests.Architecture.CycleFixture.A
{
    internal sealed class Left
    {
        public B.Right? Other { get; set; }
    }
}

namespace Fleet.Tests.Architecture.CycleFixture.B
{
    internal sealed class Right
    {
        public static int Count(A.Left left) => left.Other is null ? 0 : 1;
    }
}
