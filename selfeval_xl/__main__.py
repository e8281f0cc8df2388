from selfeval_xl.cli.commands import run

if __name__ == "__main__":  # a spawned worker imports this module too (as __mp_main__): it must not run the command
    run()
