using Skybridge.Cli;

return await CliApp.RunAsync(args, new CliIo(Console.Out, Console.Error, Console.In, Console.IsInputRedirected)).ConfigureAwait(false);
