"""Small widgets several pages share: charts, passphrase dialogs, dialogs that give the keys back."""
