"""Small widgets several pages share: charts, passphrase dialogs."""
