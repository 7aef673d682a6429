// Start-up and node information: a binary switch, a dimmer and a temperature sensor.
// Network file for the zwave-js mock controller (../../../shared/zwave-mock/README.md).
//
//   node 2: Binary Switch (0x25) v2, off
//   node 3: Multilevel Switch (0x26) v4, dimmer at 0, no travel time
//   node 4: Multilevel Sensor (0x31) v11, air temperature 21.5 °C / 70.7 °F
module.exports.default = () => ({
	controller: { homeId: 0xc0ffee07, ownNodeId: 1 },
	nodes: [
		{
			id: 2,
			capabilities: {
				genericDeviceClass: 0x10,
				specificDeviceClass: 0x01,
				commandClasses: [
					{ ccId: 0x25, isSupported: true, version: 2, defaultValue: false },
					{ ccId: 0x86, isSupported: true, version: 3 },
				],
			},
		},
		{
			id: 3,
			capabilities: {
				genericDeviceClass: 0x11, // Multilevel Switch
				specificDeviceClass: 0x01, // Power Switch Multilevel (dimmer)
				commandClasses: [
					{ ccId: 0x26, isSupported: true, version: 4, defaultValue: 0, travelTime: 0 },
					{ ccId: 0x86, isSupported: true, version: 3 },
				],
			},
		},
		{
			id: 4,
			capabilities: {
				genericDeviceClass: 0x21,
				specificDeviceClass: 0x01,
				commandClasses: [
					{
						ccId: 0x31,
						isSupported: true,
						version: 11,
						sensors: { 1: { supportedScales: [0, 1] } },
						getValue: (type, scale) => (scale === 1 ? 70.7 : 21.5),
					},
					{ ccId: 0x86, isSupported: true, version: 3 },
				],
			},
		},
	],
});
