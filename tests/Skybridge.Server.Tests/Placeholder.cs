namespace Skybridge.Server.Tests;
